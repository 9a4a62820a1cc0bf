#!/usr/bin/env bash
# Signals and lifecycle of the real binary (RELIABILITY.md RC-43, RC-64,
# RC-65, RC-66, RC-67, RC-68, RC-71): SIGHUP reloads the rules and keeps
# the old ones when the new ones are broken; SIGUSR1 writes the stats
# file; SIGTERM drains, writes the final counters and exits 0; counters
# never decrease across scrapes and reloads.
#
# usage: signals.sh SMTPCLASS_BINARY
# Prints ok / FAIL lines; exits 1 if a check failed, 2 on a usage error.

set -u

[ $# -eq 1 ] || { echo "usage: $0 SMTPCLASS_BINARY" >&2; exit 2; }
bin=$1
case $bin in
/*) ;;
*) bin=$PWD/$bin ;;
esac
[ -x "$bin" ] || { echo "$0: $bin: not executable" >&2; exit 2; }
for tool in curl timeout mkfifo; do
    command -v "$tool" > /dev/null || { echo "$0: missing tool: $tool" >&2; exit 2; }
done

scratch=$(mktemp -d "${TMPDIR:-/tmp}/smtpclass-signals.XXXXXX") || exit 2
bgpids=""
cleanup() {
    for p in $bgpids; do kill -9 "$p" 2> /dev/null; done
    rm -rf "$scratch"
}
trap cleanup EXIT
export LC_ALL=C TZ=UTC

failed=0
checks=0
ok() { checks=$((checks + 1)); printf 'ok   %s\n' "$*"; }
fail() { checks=$((checks + 1)); failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }
now_ms() { date +%s%3N; }

# wait_for MS 'SHELL CONDITION': poll every 20 ms until it holds (the
# condition is evaluated afresh each time).
wait_for() {
    local ms=$1 t
    t=$(($(now_ms) + ms))
    while [ "$(now_ms)" -lt "$t" ]; do
        eval "$2" 2> /dev/null && return 0
        sleep 0.02
    done
    eval "$2" 2> /dev/null
}

# A free loopback port: let the kernel pick one.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

line() { # SEQ: a deferral whose reason only the custom rule knows
    printf 'Nov 22 10:00:%02d mx postfix/smtp[42]: Q%d: to=<u%d@example.com>, relay=mx.example.com[192.0.2.1]:25, delay=1.5, delays=0/0/0/1.5, dsn=4.0.0, status=deferred (host mx.example.com[192.0.2.1] said: 451 4.0.0 zorglub frobnicated seq=%d)\n' \
        $(($1 % 60)) "$1" "$1" "$1"
}

rules_with() { # CATEGORY: the custom reason rule, mapping zorglub there
    cat > "$scratch/add/custom.rules" <<EOF
reason zorglub
    category $1
    match    (?i)zorglub frobnicated
    example  451 4.0.0 zorglub frobnicated
EOF
}

metric() { # NAME: its value in the last scrape
    awk -v n="$1" '$1 == n { print $2 }' "$scratch/scrape"
}

scrape() {
    curl -s --max-time 2 "http://127.0.0.1:$port/metrics" > "$scratch/scrape"
}

# ---------------------------------------------------------------------------
# (a) SIGHUP: good reload, broken reload (old rules kept), good again;
#     SIGUSR1; monotonic counters; SIGTERM with exit 0.

mkdir "$scratch/add"
rules_with greylisted
: > "$scratch/mail.log"
port=$(free_port)
"$bin" -F --from-start --rules-add="$scratch/add" --listen="$port" \
    --stats-file="$scratch/s.prom" --stats=prometheus --stats-interval=3600 \
    "$scratch/mail.log" > "$scratch/out" 2> "$scratch/err" &
pid=$!
bgpids="$bgpids $pid"
seq=0
feed() { # N lines
    local i
    for ((i = 0; i < $1; i++)); do
        seq=$((seq + 1))
        line "$seq" >> "$scratch/mail.log"
    done
}
count_out() { # CATEGORY: tagged lines with it
    grep -c "category=$1 " "$scratch/out"
}
snapshots=()
# The endpoint catches up with the input within 100 ms of a pause
# (live.c): wait until it shows every line fed so far.
take_snapshot() {
    wait_for 5000 'scrape && [ "$(metric smtpclass_lines_read_total)" = "$seq" ]'
    cp "$scratch/scrape" "$scratch/snap.${#snapshots[@]}"
    snapshots+=("$scratch/snap.${#snapshots[@]}")
}

# Start-up compiles the --rules-add prefilter: slow in a sanitizer build.
wait_for 30000 '[ -s "$scratch/s.prom" ]'
feed 5
if wait_for 20000 '[ "$(count_out greylisted)" = 5 ]'; then
    ok "(a) custom rule applies: 5 lines tagged greylisted"
else
    fail "(a) expected 5 greylisted lines, got $(count_out greylisted)"
fi
take_snapshot

# Broken rules: a regex that does not compile.
cat > "$scratch/add/custom.rules" <<'EOF'
reason zorglub
    category rate_limited
    match    (?i)zorglub (frobnicated
    example  451 4.0.0 zorglub frobnicated
EOF
kill -HUP "$pid"
if wait_for 20000 'grep -q "reload failed" "$scratch/err"'; then
    if grep -q "custom.rules:3:" "$scratch/err"; then
        ok "(a) broken reload reported with file:line: $(grep 'custom.rules:3:' "$scratch/err" | head -1)"
    else
        fail "(a) broken reload without file:line: $(cat "$scratch/err")"
    fi
else
    fail "(a) no 'reload failed' message after SIGHUP with broken rules"
fi
feed 5
wait_for 20000 '[ "$(count_out greylisted)" = 10 ]'
if [ "$(count_out greylisted)" = 10 ] && [ "$(count_out rate_limited)" = 0 ]; then
    ok "(a) after the broken reload the old rules keep running (10 greylisted)"
else
    fail "(a) after the broken reload: $(count_out greylisted) greylisted, $(count_out rate_limited) rate_limited"
fi
take_snapshot
if [ "$(metric smtpclass_rules_reload_failures_total)" = 1 ] &&
    [ "$(metric smtpclass_rules_last_reload_success)" = 0 ] &&
    [ "$(metric smtpclass_rules_reloads_total)" = 0 ]; then
    ok "(a) metrics: reload_failures_total 1, last_reload_success 0"
else
    fail "(a) reload metrics after a failure: failures=$(metric smtpclass_rules_reload_failures_total) success=$(metric smtpclass_rules_last_reload_success) reloads=$(metric smtpclass_rules_reloads_total)"
fi

# A good reload switches the category from the next line on.
rules_with rate_limited
kill -HUP "$pid"
wait_for 20000 'grep -q "rules reloaded" "$scratch/err"'
feed 5
if wait_for 20000 '[ "$(count_out rate_limited)" = 5 ]' &&
    [ "$(count_out greylisted)" = 10 ]; then
    ok "(a) good reload: the next 5 lines are rate_limited, the earlier 10 stay greylisted"
else
    fail "(a) after a good reload: $(count_out greylisted) greylisted, $(count_out rate_limited) rate_limited"
fi
take_snapshot
if [ "$(metric smtpclass_rules_reloads_total)" = 1 ] &&
    [ "$(metric smtpclass_rules_last_reload_success)" = 1 ]; then
    ok "(a) metrics: reloads_total 1, last_reload_success 1"
else
    fail "(a) reload metrics after success: reloads=$(metric smtpclass_rules_reloads_total) success=$(metric smtpclass_rules_last_reload_success)"
fi

# SIGUSR1 writes the stats file now (the interval is an hour).
before=$(awk '$1 == "smtpclass_lines_read_total" { print $2 }' "$scratch/s.prom")
kill -USR1 "$pid"
stats_lines() { awk '$1 == "smtpclass_lines_read_total" { print $2 }' "$1"; }
if wait_for 20000 '[ "$(stats_lines "$scratch/s.prom")" = 15 ]'; then
    ok "(a) SIGUSR1 rewrote the stats file at once (lines_read_total $before -> 15)"
else
    fail "(a) SIGUSR1: stats file still says $(awk '$1 == "smtpclass_lines_read_total" { print $2 }' "$scratch/s.prom")"
fi

# Monotonic: every counter (_total, _count, _bucket, _sum) in each scrape is
# at least its value in the scrape before, across both reloads.
decreases=0
for ((i = 1; i < ${#snapshots[@]}; i++)); do
    d=$(awk '/^#/ { next }
             { split($0, a, " "); v = a[2]; k = a[1] }
             FNR == NR { if (k ~ /(_total|_count|_bucket|_sum)$|(_total|_count|_bucket|_sum)\{/) prev[k] = v; next }
             (k in prev) && v + 0 < prev[k] + 0 { print k; n++ }
             END { exit n > 0 }' "${snapshots[i - 1]}" "${snapshots[i]}")
    [ -n "$d" ] && { decreases=$((decreases + 1)); echo "  decreased: $d"; }
done
if [ "$decreases" -eq 0 ]; then
    ok "(a) counters non-decreasing over ${#snapshots[@]} scrapes across reloads"
else
    fail "(a) $decreases scrape pairs with a decreasing counter"
fi

t0=$(now_ms)
kill -TERM "$pid"
wait_for 2000 '! kill -0 "$pid"'
wait "$pid"
st=$?
t1=$(now_ms)
final=$(awk '$1 == "smtpclass_lines_read_total" { print $2 }' "$scratch/s.prom")
if [ "$st" -eq 0 ] && [ "$final" = 15 ] && [ $((t1 - t0)) -lt 1000 ]; then
    ok "(a) SIGTERM: exit 0 after $((t1 - t0)) ms, final stats file lines_read_total 15"
else
    fail "(a) SIGTERM: status $st after $((t1 - t0)) ms, final lines_read_total '$final'"
fi

# ---------------------------------------------------------------------------
# (b) RC-64: SIGTERM while blocked in read on a quiet FIFO, stats file and
#     tagged output complete, exit 0.

rm -f "$scratch/fifo" "$scratch/b.prom"
mkfifo "$scratch/fifo"
exec 4<> "$scratch/fifo"
"$bin" --stats-file="$scratch/b.prom" --stats=prometheus < "$scratch/fifo" \
    > "$scratch/b.out" 2> "$scratch/b.err" 4>&- &
pid=$!
bgpids="$bgpids $pid"
line 1 >&4
line 2 >&4
wait_for 20000 '[ "$(wc -l < "$scratch/b.out")" = 2 ]'
sleep 0.3
t0=$(now_ms)
kill -TERM "$pid"
wait "$pid"
st=$?
t1=$(now_ms)
exec 4>&-
final=$(awk '$1 == "smtpclass_lines_read_total" { print $2 }' "$scratch/b.prom")
if [ "$st" -eq 0 ] && [ "$(wc -l < "$scratch/b.out")" = 2 ] && [ "$final" = 2 ] &&
    [ $((t1 - t0)) -lt 1000 ]; then
    ok "(b) SIGTERM on a quiet FIFO: exit 0 after $((t1 - t0)) ms, 2 lines out, stats file lines_read_total 2"
else
    fail "(b) SIGTERM on a quiet FIFO: status $st, $(wc -l < "$scratch/b.out") lines, stats file '$final', $((t1 - t0)) ms"
fi

# ---------------------------------------------------------------------------
# (c) RC-65: SIGTERM while lines wait in the pipe: they are still read
#     (a 2 s drain), nothing already written upstream is lost. smtpclass is
#     held with SIGSTOP while the lines go into the pipe (they fit in its
#     64 KiB buffer), so they are all still waiting when SIGTERM arrives.

n=250
for ((i = 1; i <= n; i++)); do line "$i"; done > "$scratch/c.in"
rm -f "$scratch/fifo"
mkfifo "$scratch/fifo"
exec 4<> "$scratch/fifo"
"$bin" --format=none --stats=json < "$scratch/fifo" > /dev/null 2> "$scratch/c.err" 4>&- &
pid=$!
bgpids="$bgpids $pid"
sleep 0.3
kill -STOP "$pid"
cat "$scratch/c.in" >&4
kill -TERM "$pid"
kill -CONT "$pid"
wait "$pid"
st=$?
exec 4>&-
got=$(grep -o '"lines_read": [0-9]*' "$scratch/c.err" | grep -o '[0-9]*$')
if [ "$st" -eq 0 ] && [ "$got" = "$n" ]; then
    ok "(c) SIGTERM with $n lines waiting in the pipe: all $got read, exit 0"
else
    fail "(c) SIGTERM with $n lines waiting in the pipe: lines_read '$got', status $st"
fi

# ---------------------------------------------------------------------------
# (d) RC-66: after SIGKILL the stats file written before is still there
#     and complete (written by rename, never in place).

rm -f "$scratch/fifo"
mkfifo "$scratch/fifo"
exec 4<> "$scratch/fifo"
"$bin" --stats-file="$scratch/d.prom" --stats=prometheus --stats-interval=1 \
    < "$scratch/fifo" > /dev/null 2>&1 4>&- &
pid=$!
bgpids="$bgpids $pid"
line 1 >&4
wait_for 20000 '[ "$(stats_lines "$scratch/d.prom")" = 1 ]'
kill -KILL "$pid"
wait "$pid" 2> /dev/null
exec 4>&-
leftovers=$(find "$scratch" -maxdepth 1 -name '.d.prom.tmp*' | wc -l)
if grep -q '^smtpclass_lines_read_total 1$' "$scratch/d.prom" &&
    tail -c 1 "$scratch/d.prom" | od -An -c | grep -q '\\n'; then
    ok "(d) after SIGKILL the last stats file is complete (lines_read_total 1, ends in a newline; $leftovers temp files left)"
else
    fail "(d) after SIGKILL: $(tail -c 200 "$scratch/d.prom")"
fi

# ---------------------------------------------------------------------------
# (e) RC-66: a second SIGTERM a second later ends a stuck process by the
#     signal (here stuck writing to a reader that never reads); one sent
#     twice at once (timeout(1) signals the child and its group) does not.

rm -f "$scratch/fifo" "$scratch/outfifo"
mkfifo "$scratch/fifo" "$scratch/outfifo"
exec 4<> "$scratch/fifo"
exec 6<> "$scratch/outfifo" # holds the output pipe open, never reads it
for ((i = 1; i <= 3000; i++)); do line "$i"; done > "$scratch/e.in"
"$bin" --stats=none < "$scratch/fifo" > "$scratch/outfifo" 2> /dev/null 4>&- 6>&- &
pid=$!
bgpids="$bgpids $pid"
cat "$scratch/e.in" >&4 &
catpid=$!
bgpids="$bgpids $catpid"
sleep 0.5
kill -TERM "$pid"
kill -TERM "$pid" # the same request twice: still a clean stop wanted
sleep 0.3
alive_after_double=0
kill -0 "$pid" 2> /dev/null && alive_after_double=1
sleep 1
kill -TERM "$pid"
wait_for 3000 '! kill -0 "$pid"'
wait "$pid"
st=$?
kill "$catpid" 2> /dev/null
exec 4>&- 6>&-
if [ "$alive_after_double" -eq 1 ] && [ "$st" -eq 143 ]; then
    ok "(e) a double SIGTERM at once did not kill the stuck process; a second one 1.3 s later did (status 143)"
else
    fail "(e) stuck writer: alive after a double TERM: $alive_after_double (want 1), status after the later TERM $st (want 143)"
fi

# ---------------------------------------------------------------------------
# (f) RC-68: end of input on stdin (the writer of a FIFO closes it): the
#     lines are flushed, the final stats file is written at the end of
#     input (no signal is sent, the interval is an hour), exit 0.

mkdir "$scratch/f"
n=300
for ((i = 1; i <= n; i++)); do line "$i"; done > "$scratch/f.in"
rm -f "$scratch/fifo"
mkfifo "$scratch/fifo"
"$bin" --stats-file="$scratch/f/x.prom" --stats=prometheus --stats-interval=3600 \
    < "$scratch/fifo" > "$scratch/f.out" 2> "$scratch/f.err" &
pid=$!
bgpids="$bgpids $pid"
exec 4> "$scratch/fifo"
cat "$scratch/f.in" >&4
sleep 0.3
# Before EOF the file (if written at start) cannot count the lines yet.
f_before=$(stats_lines "$scratch/f/x.prom" 2> /dev/null)
exec 4>&- # EOF
t0=$(now_ms)
wait_for 5000 '! kill -0 "$pid"'
if kill -0 "$pid" 2> /dev/null; then
    kill -9 "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    st=timeout
else
    wait "$pid"
    st=$?
fi
t1=$(now_ms)
f_out=$(wc -l < "$scratch/f.out")
f_final=$(stats_lines "$scratch/f/x.prom" 2> /dev/null)
if [ "$st" = 0 ] && [ "$f_out" = "$n" ] && [ "$f_final" = "$n" ] && [ "${f_before:-none}" != "$n" ]; then
    ok "(f) EOF on a stdin FIFO: exit 0 after $((t1 - t0)) ms, $f_out tagged lines, final stats file lines_read_total $f_final (before EOF: ${f_before:-no file})"
else
    fail "(f) EOF on a stdin FIFO: status $st, $f_out lines out (want $n), stats file lines_read_total '${f_final}' (want $n; before EOF '${f_before:-no file}'); stderr: $(head -c 200 "$scratch/f.err")"
fi

# ---------------------------------------------------------------------------
# (g) RC-71: counters never decrease, per series, across stats-file
#     snapshots and /metrics scrapes taken every ~100 ms while lines flow
#     and three SIGHUP reloads (broken, good, broken) happen.
#     RC-56: smtpclass_last_line_timestamp_seconds is the time of the last
#     line, and stands still while no lines come.

# mono_check FILE...: compare each counter series (name ending in _total,
# _count, _bucket or _sum, labels included) of each file with its value in
# the previous non-empty file. Prints: FILES COMPARISONS SERIES DECREASES,
# then the first decreases.
mono_check() {
    awk '
        FNR == 1 {
            files++
            if (files > 1) { split("", prev); for (k in cur) prev[k] = cur[k] }
            split("", cur)
        }
        /^#/ || NF == 0 { next }
        {
            if (!match($0, / [^ ]+$/)) next
            key = substr($0, 1, RSTART - 1); val = substr($0, RSTART + 1)
            name = key; sub(/\{.*/, "", name)
            if (name !~ /_(total|count|bucket|sum)$/) next
            cur[key] = val; seen[key] = 1
            if (files > 1 && (key in prev)) {
                cmp++
                if (val + 0 < prev[key] + 0) {
                    dec++
                    if (dec <= 5) msg = msg sprintf("\n  decreased in %s: %s %s -> %s", FILENAME, key, prev[key], val)
                }
            }
        }
        END { ns = 0; for (k in seen) ns++; printf "%d %d %d %d%s\n", files, cmp + 0, ns, dec + 0, msg }' "$@"
}

# The checker itself sees a decrease in one labelled series.
printf 'a_total{x="1 2"} 5\nb_count 1\nc_gauge 9\n' > "$scratch/mono.1"
printf 'a_total{x="1 2"} 4\nb_count 2\nc_gauge 1\n' > "$scratch/mono.2"
read -r sf sc ss sd _ <<< "$(mono_check "$scratch/mono.1" "$scratch/mono.2" | head -1)"
if [ "$sf $sc $ss $sd" = "2 2 2 1" ]; then
    ok "(g) the monotonicity checker finds a planted decrease (1 of 2 comparisons)"
else
    fail "(g) the monotonicity checker on a planted decrease: '$sf $sc $ss $sd', want '2 2 2 1'"
fi

test_start=$(date +%s)
mkdir "$scratch/g"
rules_with greylisted
: > "$scratch/g/mail.log"
port=$(free_port)
"$bin" -F --rules-add="$scratch/add" --listen="$port" \
    --stats-file="$scratch/g/s.prom" --stats=prometheus --stats-interval=3600 \
    "$scratch/g/mail.log" > "$scratch/g/out" 2> "$scratch/g/err" &
pid=$!
bgpids="$bgpids $pid"
wait_for 30000 '[ -s "$scratch/g/s.prom" ] && scrape && [ -s "$scratch/scrape" ]'
gfed=0
gfeed() { # N lines into the followed file
    local i
    for ((i = 0; i < $1; i++)); do
        gfed=$((gfed + 1))
        line "$gfed"
    done >> "$scratch/g/mail.log"
}
broken_rules() {
    cat > "$scratch/add/custom.rules" <<'EOR'
reason zorglub
    category rate_limited
    match    (?i)zorglub (frobnicated
    example  451 4.0.0 zorglub frobnicated
EOR
}
nsnap=40
empty_snaps=0
for ((i = 0; i < nsnap; i++)); do
    case $i in
    10) broken_rules; kill -HUP "$pid" ;;
    20) rules_with rate_limited; kill -HUP "$pid" ;;
    30) broken_rules; kill -HUP "$pid" ;;
    esac
    gfeed 3
    kill -USR1 "$pid"
    sleep 0.1
    cp "$scratch/g/s.prom" "$scratch/g/file.$(printf %03d "$i")"
    scrape
    cp "$scratch/scrape" "$scratch/g/http.$(printf %03d "$i")"
    [ -s "$scratch/g/file.$(printf %03d "$i")" ] && [ -s "$scratch/scrape" ] ||
        empty_snaps=$((empty_snaps + 1))
done
for kind in file http; do
    res=$(mono_check "$scratch/g/$kind".*)
    read -r nf ncmp nser ndec <<< "$(head -1 <<< "$res")"
    distinct=$(cat "$scratch/g/$kind".* | awk '$1 == "smtpclass_lines_read_total" { print $2 }' | sort -u | wc -l)
    if [ "$nf" -ge 30 ] && [ "$ndec" = 0 ] && [ "$ncmp" -gt 0 ] && [ "$distinct" -ge 10 ] && [ "$empty_snaps" = 0 ]; then
        ok "(g) $kind: $nf snapshots, $nser counter series, $ncmp per-series comparisons, 0 decreases ($distinct distinct lines_read_total values, 3 reloads)"
    else
        fail "(g) $kind: $nf snapshots (want >= 30, $empty_snaps empty), $nser series, $ncmp comparisons, $ndec decreases, $distinct distinct lines_read_total values$(tail -n +2 <<< "$res")"
    fi
done
# The reloads really happened during the snapshots.
last_http=$(ls "$scratch/g"/http.* | tail -1)
g_rel=$(awk '$1 == "smtpclass_rules_reloads_total" { print $2 }' "$last_http")
g_fail=$(awk '$1 == "smtpclass_rules_reload_failures_total" { print $2 }' "$last_http")
g_rl=$(awk '$1 == "smtpclass_outcomes_by_category_total{category=\"rate_limited\"}" { print $2 }' "$last_http")
if [ "$g_rel" = 1 ] && [ "$g_fail" = 2 ] && [ "${g_rl:-0}" -gt 0 ] 2> /dev/null; then
    ok "(g) the snapshots span the reloads: reloads_total 1, reload_failures_total 2, $g_rl rate_limited lines after the good one"
else
    fail "(g) reloads during the snapshots: reloads_total '$g_rel' (want 1), reload_failures_total '$g_fail' (want 2), rate_limited '$g_rl' (want > 0)"
fi

# RC-56: the last-line timestamp once every line is counted, then 2 s idle.
wait_for 10000 'scrape && [ "$(metric smtpclass_lines_read_total)" = "$gfed" ]'
ts1=$(metric smtpclass_last_line_timestamp_seconds)
now1=$(date +%s)
sleep 2
scrape
ts2=$(metric smtpclass_last_line_timestamp_seconds)
if awk -v t="$ts1" -v n="$now1" -v s="$test_start" 'BEGIN { d = n - t; if (d < 0) d = -d; exit !(t != "" && t + 0 >= s && d <= 5) }'; then
    ok "(g) last_line_timestamp_seconds $ts1: within 5 s of now ($now1), not before the test start ($test_start)"
else
    fail "(g) last_line_timestamp_seconds '$ts1': now $now1, test start $test_start (want within 5 s of now and >= start)"
fi
if [ -n "$ts2" ] && [ "$ts2" = "$ts1" ]; then
    ok "(g) after 2 s without lines last_line_timestamp_seconds has not moved ($ts2)"
else
    fail "(g) after 2 s without lines last_line_timestamp_seconds moved: '$ts1' -> '$ts2'"
fi
kill -TERM "$pid"
wait_for 2000 '! kill -0 "$pid"'
wait "$pid"
st=$?
[ "$st" = 0 ] && ok "(g) SIGTERM after the reloads: exit 0" || fail "(g) SIGTERM after the reloads: status $st"

# ---------------------------------------------------------------------------
# (h) Signals that arrive while a write is blocked on a slow reader lose no
#     output: the write goes on after the handler (glibc's stdio would drop
#     the rest of its buffer on EINTR). 20 SIGUSR1 while the reader sleeps.

for ((i = 1; i <= 20000; i++)); do line "$i"; done > "$scratch/h.in"
"$bin" -j 1 --stats=none "$scratch/h.in" > "$scratch/h.ref" 2> /dev/null
rm -f "$scratch/h.pid"
{
    "$bin" -j 1 --stats=none "$scratch/h.in" 2> "$scratch/h.err" &
    echo $! > "$scratch/h.pid"
    wait $!
    echo $? > "$scratch/h.st"
} | {
    sleep 2
    cat
} > "$scratch/h.out" &
hjob=$!
wait_for 2000 '[ -s "$scratch/h.pid" ]'
hpid=$(cat "$scratch/h.pid")
sleep 0.5 # its handlers are installed, and the pipe is full by now
sent=0
for ((i = 0; i < 20; i++)); do
    kill -USR1 "$hpid" 2> /dev/null && sent=$((sent + 1))
    sleep 0.05
done
wait "$hjob"
h_st=$(cat "$scratch/h.st")
if [ "$sent" -ge 10 ] && [ "$h_st" = 0 ] && cmp -s "$scratch/h.ref" "$scratch/h.out"; then
    ok "(h) $sent SIGUSR1 while the output pipe was full: exit 0, output identical ($(wc -c < "$scratch/h.out") bytes)"
else
    fail "(h) $sent SIGUSR1 while the output pipe was full: status $h_st, $(wc -c < "$scratch/h.out") of $(wc -c < "$scratch/h.ref") bytes out; stderr: $(head -c 200 "$scratch/h.err")"
fi

printf '%d checks, %d failed\n' "$checks" "$failed"
[ "$failed" -eq 0 ]
