#!/bin/sh
# The fast path (Hyperscan gate and reason filter) must give exactly what
# the plain path (--reference) gives: same tagged lines, same JSON lines,
# same counters. Checked on every corpus file, the bundled sample and a
# generated mixed log.
# usage: fastpath.sh SMTPCLASS GEN_MAILLOG
set -eu
bin=$1
gen=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$gen" --seed 7 --size 20000000 > "$tmp/gen.log" 2>/dev/null
fail=0
for f in "$top"/tests/data/corpus/*.log "$top"/tests/data/corpus/*.txt \
         "$top"/tests/data/sample-mail.log "$tmp/gen.log"; do
    for mode in "--stats=none" "--format=json --stats=none" \
                "-c --stats=json" "--only=permanent --stats=none"; do
        # shellcheck disable=SC2086
        "$bin" $mode "$f" > "$tmp/fast" 2>&1 || true
        # shellcheck disable=SC2086
        "$bin" --reference $mode "$f" > "$tmp/ref" 2>&1 || true
        if cmp -s "$tmp/fast" "$tmp/ref"; then
            echo "ok $(basename "$f") $mode"
        else
            echo "FAIL $(basename "$f") $mode: fast path differs from --reference"
            diff "$tmp/ref" "$tmp/fast" | head -5
            fail=1
        fi
    done
done
n=$(wc -l < "$tmp/gen.log")
echo "generated log: $n lines"
# The regex budget must never bite the built-in rules on ordinary logs.
hits=$("$bin" -c --stats=json "$tmp/gen.log" | sed -n 's/.*"lines_regex_limit": \([0-9]*\).*/\1/p')
if [ "$hits" = 0 ]; then
    echo "ok no regex limit hits on the generated log"
else
    echo "FAIL $hits lines of the generated log hit a regex limit"
    fail=1
fi
exit $fail
