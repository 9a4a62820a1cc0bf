#!/bin/sh
# Compressed inputs (RELIABILITY RC-16..22): gzip and zstd read directly,
# recognised by magic bytes; damage is reported with the file name, exit 2,
# and every complete line before the damage is still processed.
# usage: archives.sh SMTPCLASS
set -u
bin=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok $*"; }
bad() { echo "FAIL $*"; fail=1; }

src="$top/tests/data/sample-mail.log"
seq 1 20000 | sed 's/^/Nov 22 10:00:01 mx postfix\/smtp[1]: 3F2A: to=<a@example.org>, relay=none, delay=1, delays=1\/0\/0\/0, dsn=4.4.1, status=deferred (connect to mx.example.org[192.0.2.1]:25: Connection timed out) n=/' > "$tmp/big.log"
gzip -c "$src" > "$tmp/s.gz"
zstd -q -c "$src" > "$tmp/s.zst"
"$bin" --stats=json -c "$src" > "$tmp/want.json" 2>&1

for f in s.gz s.zst; do
    "$bin" --stats=json -c "$tmp/$f" > "$tmp/got.json" 2>&1
    cmp -s "$tmp/want.json" "$tmp/got.json" && ok "$f: same counters as the plain file" ||
        bad "$f: counters differ from the plain file"
done
"$bin" --stats=none "$src" > "$tmp/plain.out"
"$bin" --stats=none "$tmp/s.gz" | cmp -s - "$tmp/plain.out" && ok "gzip: same tagged output" || bad "gzip: tagged output differs"
gzip -dc "$tmp/s.gz" | "$bin" --stats=none - | cmp -s - "$tmp/plain.out" && ok "gzip on stdin" || bad "gzip on stdin differs"
"$bin" --stats=none - < "$tmp/s.zst" | cmp -s - "$tmp/plain.out" && ok "zstd on stdin" || bad "zstd on stdin differs"

# Multi-member gzip and several zstd frames: every member is read.
cat "$tmp/s.gz" "$tmp/s.gz" > "$tmp/two.gz"
cat "$tmp/s.zst" "$tmp/s.zst" > "$tmp/two.zst"
n=$(wc -l < "$src")
for f in two.gz two.zst; do
    got=$("$bin" -c --stats=json "$tmp/$f" | sed -n 's/.*"lines_read": \([0-9]*\).*/\1/p')
    [ "$got" = $((2 * n)) ] && ok "$f: both members read ($got lines)" || bad "$f: $got lines, want $((2 * n))"
done

# Truncated archives: exit 2, one message naming the file, complete lines kept.
gzip -c "$tmp/big.log" > "$tmp/big.gz"
zstd -q -c "$tmp/big.log" > "$tmp/big.zst"
for kind in gz zst; do
    size=$(wc -c < "$tmp/big.$kind")
    head -c $((size / 2)) "$tmp/big.$kind" > "$tmp/cut.$kind"
    "$bin" --stats=none "$tmp/cut.$kind" > "$tmp/cut.out" 2> "$tmp/cut.err"
    rc=$?
    [ $rc = 2 ] && ok "cut.$kind: exit 2" || bad "cut.$kind: exit $rc, want 2"
    grep -q "^smtpclass: $tmp/cut.$kind: unexpected end of .* data (truncated archive)\$" "$tmp/cut.err" &&
        [ "$(wc -l < "$tmp/cut.err")" = 1 ] && ok "cut.$kind: one message naming the file" ||
        bad "cut.$kind: message: $(cat "$tmp/cut.err")"
    # Every line that came out is an input line, in order, nothing lost
    # before the damage: the output is a prefix of the tagged full output.
    lines=$(wc -l < "$tmp/cut.out")
    "$bin" --stats=none "$tmp/big.log" | head -n "$lines" > "$tmp/prefix.out"
    head -n "$lines" "$tmp/cut.out" | cmp -s - "$tmp/prefix.out" &&
        [ "$lines" -gt 1000 ] && ok "cut.$kind: $lines complete lines before the damage, same as the full input's" ||
        bad "cut.$kind: output is not the full input's prefix ($lines lines)"
done

# Corrupt data in the middle.
size=$(wc -c < "$tmp/big.gz")
cp "$tmp/big.gz" "$tmp/bad.gz"
printf '\377\377\377\377' | dd of="$tmp/bad.gz" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
"$bin" -c "$tmp/bad.gz" > /dev/null 2> "$tmp/bad.err"
rc=$?
[ $rc = 2 ] && grep -q "bad.gz: gzip data is corrupt" "$tmp/bad.err" && ok "corrupt gzip: exit 2 with a message" ||
    bad "corrupt gzip: exit $rc: $(cat "$tmp/bad.err")"

# Empty file and plain text with a .gz name: by content, not by name.
: > "$tmp/empty.gz"
"$bin" -c --stats=none "$tmp/empty.gz"; rc=$?
[ $rc = 1 ] && ok "empty .gz: no lines, exit 1" || bad "empty .gz: exit $rc"
cp "$src" "$tmp/plain.gz"
"$bin" --stats=json -c "$tmp/plain.gz" > "$tmp/got.json" 2>&1
cmp -s "$tmp/want.json" "$tmp/got.json" && ok "plain text named .gz is read as text" || bad "plain .gz differs"

# Trailing garbage after the last member: reported, exit 2.
cp "$tmp/s.gz" "$tmp/tail.gz"; printf 'garbage' >> "$tmp/tail.gz"
"$bin" -c "$tmp/tail.gz" > /dev/null 2> "$tmp/tail.err"; rc=$?
[ $rc = 2 ] && grep -q "trailing garbage" "$tmp/tail.err" && ok "trailing garbage: exit 2 with a message" ||
    bad "trailing garbage: exit $rc"
exit $fail
