#!/bin/sh
# `smtpclass merge` sums JSON snapshots exactly: the counts of
# merge(run(part1), run(part2), run(part3)) equal run(whole), in any order
# and grouping; Prometheus output of a merge passes promtool; a bad snapshot
# is reported with its name, exit 2, and nothing is printed.
# usage: merge.sh SMTPCLASS GEN_MAILLOG
set -u
abs() { echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"; }
bin=$(abs "$1")
gen=$(abs "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
fail=0
ok() { echo "ok $*"; }
bad() { echo "FAIL $*"; fail=1; }
same() { # non-empty snapshot files, equal apart from the version
    [ -s "$1" ] && [ -s "$2" ] &&
        [ "$(jq -S 'del(.version)' "$1")" = "$(jq -S 'del(.version)' "$2")" ]
}

"$gen" --seed 5 --size 3000000 > whole.log 2>/dev/null
split -n l/3 whole.log part.
for f in part.aa part.ab part.ac whole.log; do
    "$bin" -c --stats=json "$f" > "$f.json" || true
done
"$bin" merge part.aa.json part.ab.json part.ac.json > m123.json &&
    same m123.json whole.log.json && ok "merge of three parts equals the whole" ||
    bad "merge of three parts differs from the whole"
"$bin" merge part.ac.json part.aa.json part.ab.json > m312.json &&
    same m312.json m123.json && ok "merge is commutative" || bad "order changes the merge"
"$bin" merge part.aa.json part.ab.json > m12.json
"$bin" merge part.ab.json part.ac.json > m23.json
"$bin" merge m12.json part.ac.json > left.json
"$bin" merge part.aa.json m23.json > right.json
same left.json right.json && same left.json m123.json && ok "merge is associative" ||
    bad "grouping changes the merge"
"$bin" merge part.aa.json part.ab.json --stats=prometheus > m.prom &&
    promtool check metrics < m.prom && ok "prometheus output of a merge passes promtool" ||
    bad "prometheus output of a merge fails promtool"

echo '{"totals": 1}' > bad.json
"$bin" merge part.aa.json bad.json > out.txt 2> err.txt
rc=$?
[ $rc = 2 ] && [ ! -s out.txt ] && grep -q '^smtpclass: bad.json: ' err.txt &&
    ok "a bad snapshot: exit 2, named, nothing printed" || bad "bad snapshot: exit $rc"
echo 'not json' > bad2.json
"$bin" merge bad2.json > /dev/null 2> err.txt
rc=$?
[ $rc = 2 ] && grep -q '^smtpclass: bad2.json:1: ' err.txt && ok "unparsable JSON: exit 2 with file:line" ||
    bad "unparsable: exit $rc: $(cat err.txt)"
exit $fail
