#!/bin/sh
# `smtpclass merge` sums JSON snapshots exactly: the counts of
# merge(run(part1), run(part2), run(part3)) equal run(whole), in any order
# and grouping; Prometheus output of a merge passes promtool; a bad snapshot
# is reported with its name, exit 2, and nothing is printed.
# The label families (recipient domains, relays) are exact when every value
# fits the table (--top 10000 here); with more values than --top, which
# values get a label depends on the parts, so only their sums per class are
# compared (and the other rows must equal the dropped counts).
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
# Everything but the label rows, and the label families' sums per class.
strip='del(.version, .recipient_domains, .relays, .label_values_dropped)'
per_class='def sums: group_by(.class) | map({key: .[0].class, value: (map(.count) | add)}) | from_entries;
    {domains: (.recipient_domains | sums), relays: (.relays | sums)}'
same_but_labels() {
    [ -s "$1" ] && [ -s "$2" ] &&
        [ "$(jq -S "$strip" "$1")" = "$(jq -S "$strip" "$2")" ] &&
        [ "$(jq -S "$per_class" "$1")" = "$(jq -S "$per_class" "$2")" ]
}
# Lines under __other__ == lines counted as dropped, per family.
other_is_dropped() {
    jq -e '
        ([.recipient_domains[] | select(.domain == "__other__") | .count] | add) ==
        ([.label_values_dropped[] | select(.family == "recipient_domain") | .count] | add) and
        ([.relays[] | select(.relay == "__other__") | .count] | add) ==
        ([.label_values_dropped[] | select(.family == "relay") | .count] | add)' "$1" > /dev/null
}

"$gen" --seed 5 --size 3000000 > whole.log 2>/dev/null
split -n l/3 whole.log part.
for f in part.aa part.ab part.ac whole.log; do
    "$bin" -c --stats=json "$f" > "$f.json" || true
    "$bin" -c --top 10000 --stats=json "$f" > "$f.all.json" || true
done
"$bin" merge part.aa.json part.ab.json part.ac.json > m123.json &&
    same_but_labels m123.json whole.log.json && ok "merge of three parts equals the whole" ||
    bad "merge of three parts differs from the whole"
"$bin" merge part.aa.all.json part.ab.all.json part.ac.all.json > m123.all.json &&
    same m123.all.json whole.log.all.json &&
    [ "$(jq '.recipient_domains | length' m123.all.json)" -gt 100 ] &&
    ok "with every value labelled, the merge equals the whole, label rows too" ||
    bad "with every value labelled, the merge differs from the whole"
ok=1
for f in part.aa.json whole.log.json m123.json m123.all.json; do
    other_is_dropped "$f" || { ok=0; bad "$f: __other__ rows differ from the dropped counts"; }
done
[ $ok = 1 ] && ok "__other__ rows equal the dropped counts"
[ "$(jq '[.recipient_domains[] | select(.domain != "__other__") | .domain] | unique | length' m123.json)" -le 20 ] &&
    [ "$(jq '[.relays[] | select(.relay != "__other__") | .relay] | unique | length' m123.json)" -le 20 ] &&
    ok "a merge labels at most --top values" || bad "a merge labels more than --top values"
"$bin" -c --top 5 --stats=json part.aa > top5.json
"$bin" merge top5.json part.ab.json > m5.json &&
    [ "$(jq .top_n top5.json)" = 5 ] && [ "$(jq .top_n m5.json)" = 20 ] &&
    [ "$(jq '[.recipient_domains[] | select(.domain != "__other__")] | map(.domain) | unique | length' top5.json)" -le 5 ] &&
    ok "a merge keeps the largest --top of its inputs" || bad "merge of --top 5 and 20: top_n $(jq .top_n m5.json)"
"$bin" merge part.ac.json part.aa.json part.ab.json > m312.json &&
    same m312.json m123.json && ok "merge is commutative" || bad "order changes the merge"
"$bin" merge part.aa.json part.ab.json > m12.json
"$bin" merge part.ab.json part.ac.json > m23.json
"$bin" merge m12.json part.ac.json > left.json
"$bin" merge part.aa.json m23.json > right.json
same_but_labels left.json right.json && same_but_labels left.json m123.json &&
    ok "merge is associative" || bad "grouping changes the merge"
"$bin" merge part.aa.all.json part.ab.all.json > m12.all.json
"$bin" merge part.ab.all.json part.ac.all.json > m23.all.json
"$bin" merge m12.all.json part.ac.all.json > left.all.json
"$bin" merge part.aa.all.json m23.all.json > right.all.json
same left.all.json right.all.json && same left.all.json m123.all.json &&
    ok "merge is associative, label rows too, when every value is labelled" ||
    bad "grouping changes the merge of fully labelled snapshots"
[ "$(jq '[.delivery_delays[].count] | add' m123.json)" -gt 0 ] &&
    ok "the merge has delay histograms" || bad "the merge lost the delay histograms"
"$bin" merge part.aa.json part.ab.json --stats=prometheus > m.prom &&
    promtool check metrics < m.prom && ok "prometheus output of a merge passes promtool" ||
    bad "prometheus output of a merge fails promtool"

echo '{"totals": 1}' > bad.json
"$bin" merge part.aa.json bad.json > out.txt 2> err.txt
rc=$?
[ $rc = 2 ] && [ ! -s out.txt ] && grep -q '^smtpclass: bad.json: ' err.txt &&
    ok "a bad snapshot: exit 2, named, nothing printed" || bad "bad snapshot: exit $rc"
jq '.recipient_domains[0].domain = "bad domain\n"' part.aa.json > bad3.json
jq '.delay_buckets_seconds[0] = 0.2' part.aa.json > bad4.json
jq '.delivery_delays[0].count += 1' part.aa.json > bad5.json
for f in bad3.json bad4.json bad5.json; do
    "$bin" merge part.ab.json "$f" > out.txt 2> err.txt
    rc=$?
    [ $rc = 2 ] && [ ! -s out.txt ] && grep -q "^smtpclass: $f: " err.txt &&
        ok "$f (bad label value, buckets or histogram count): exit 2, named" ||
        bad "$f: exit $rc: $(cat err.txt)"
done
jq 'del(.top_n, .recipient_domains, .relays, .label_values_dropped, .delay_buckets_seconds, .delivery_delays)' \
    part.aa.json > old.json
"$bin" merge old.json part.ab.json > /dev/null && ok "a snapshot without label families or histograms merges" ||
    bad "a snapshot of an older version does not merge"
echo 'not json' > bad2.json
"$bin" merge bad2.json > /dev/null 2> err.txt
rc=$?
[ $rc = 2 ] && grep -q '^smtpclass: bad2.json:1: ' err.txt && ok "unparsable JSON: exit 2 with file:line" ||
    bad "unparsable: exit $rc: $(cat err.txt)"
exit $fail
