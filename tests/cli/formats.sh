#!/usr/bin/env bash
# Property checks of the smtpclass binary (RELIABILITY.md B1, B5, B7, B8):
# pass-through, JSON framing, counter reconciliation, Prometheus exposition,
# closed pipes, write errors, streaming latency and SIGTERM on a quiet pipe.
#
# usage: formats.sh SMTPCLASS_BINARY
#
# Prints one line per check (ok / FAIL with the reason) and exits 1 if any
# check failed, 2 on a usage error or a missing tool.
#
# Needs: jq, promtool (PATH or /usr/local/bin), base64, perl, timeout, mkfifo.

set -u

[ $# -eq 1 ] || { echo "usage: $0 SMTPCLASS_BINARY" >&2; exit 2; }
bin=$1
case $bin in
/*) ;;
*) bin=$PWD/$bin ;;
esac
if [ ! -x "$bin" ] || [ -d "$bin" ]; then
    echo "$0: $bin: not an executable file" >&2
    exit 2
fi
PATH=$PATH:/usr/local/bin
for tool in jq promtool base64 perl timeout mkfifo cmp; do
    command -v "$tool" > /dev/null || { echo "$0: missing tool: $tool" >&2; exit 2; }
done

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/smtpclass-formats.XXXXXX") || exit 2
bgpids=""
cleanup() {
    for p in $bgpids; do kill -9 "$p" 2> /dev/null; done
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Run the binary as "smtpclass" so its messages never depend on its path.
mkdir "$scratch/bin" "$scratch/in" || exit 2
ln -s "$bin" "$scratch/bin/smtpclass" || exit 2
sc=$scratch/bin/smtpclass
export LC_ALL=C TZ=UTC
unset LANG LANGUAGE LC_MESSAGES

failed=0
checks=0
ok() { checks=$((checks + 1)); printf 'ok   %s\n' "$*"; }
fail() { checks=$((checks + 1)); failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }

# Milliseconds since the epoch (GNU date).
now_ms() { date +%s%3N; }

# count_lines, strip_tags
. "$here/lib.sh"

# ---------------------------------------------------------------------------
# Inputs

pfx='Mar  3 08:09:02 mx1 postfix/smtp[2201]: 7C3D21C0B5: to=<j@example.net>, relay=mx.example.net[198.51.100.26]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.net[198.51.100.26] said: 550 5.1.1 <j@example.net>: no such user'
bounce_line="$pfx (in reply to RCPT TO command))"

hostile=()

# NUL bytes, also before and after a code.
f=$scratch/in/nul.log
{
    printf 'a\000b 550 5.1.1 x\n'
    printf '%s\000after the NUL)\n' "$pfx"
    printf '\000\000\000\n'
    printf 'plain line\n'
    printf 'Mar  3 08:00:01 mx1 postfix/smtpd[2110]: connect from \000unknown[192.0.2.1]\n'
} > "$f"
hostile+=("$f")

# CRLF, lone CR, CR CR LF, mixed endings, form feed.
f=$scratch/in/crlf.log
{
    printf '%s\r\n' "$bounce_line"
    printf 'Mar  3 08:00:01 mx1 postfix/smtpd[2110]: connect from mail.example.net[203.0.113.45]\r\n'
    printf 'lone\rcarriage return 550 5.1.1 x\n'
    printf '%s\r\r\n' "$bounce_line"
    printf 'form\ffeed\n'
    printf '\r\n'
    printf '%s\r\n' "Mar  3 08:01:11 mx1 postfix/smtpd[2131]: NOQUEUE: reject: RCPT from unknown[198.51.100.23]: 450 4.7.1 Client host rejected: cannot find your hostname, [198.51.100.23]; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<x>"
} > "$f"
hostile+=("$f")

# Invalid UTF-8: lone 0xff, overlong, surrogate, truncated, above U+10FFFF.
f=$scratch/in/badutf8.log
{
    printf '%s \377\n' "$bounce_line"
    printf 'overlong \300\257 550 5.7.1 x\n'
    printf 'surrogate \355\240\200 550 5.2.2 mailbox full\n'
    printf 'truncated \342\202\n'
    printf 'too big \364\220\200\200 421 4.7.0 try later\n'
    printf 'valid UTF-8: Empf\303\244nger unbekannt 550 5.1.1\n'
} > "$f"
hostile+=("$f")

# A 3 MB line with a code in its first bytes, between two short lines.
f=$scratch/in/long.log
{
    printf 'before\n'
    printf '%s ' "$pfx"
    head -c 3000000 /dev/zero | tr '\0' 'x'
    printf ')\n'
    printf 'after 550 5.1.1 x\n'
} > "$f"
hostile+=("$f")

# The last line has a code and no newline.
f=$scratch/in/nonl.log
{
    printf 'first line\n'
    printf '%s' "$bounce_line"
} > "$f"
hostile+=("$f")

# And one whose last line has no code and no newline.
f=$scratch/in/nonl-plain.log
printf '%s\nno newline here' "$bounce_line" > "$f"
hostile+=("$f")

# All 256 byte values in order (two lines, split at 0x0a), then one line
# starting with a code followed by every byte but '\n'.
f=$scratch/in/allbytes.log
{
    perl -e 'print map { chr } 0 .. 255'
    printf '\n550 5.1.1 '
    perl -e 'print map { chr } grep { $_ != 10 } 0 .. 255'
    printf '\n'
} > "$f"
hostile+=("$f")

# An arbitrary binary file.
if [ -f /bin/ls ]; then
    cp /bin/ls "$scratch/in/ls.bin"
    hostile+=("$scratch/in/ls.bin")
fi

# Empty input.
: > "$scratch/in/empty.log"
hostile+=("$scratch/in/empty.log")

# Realistic samples: the golden-test samples and the quick-start sample.
samples=()
for c in postfix-tagged exim-tagged sendmail-tagged; do
    s=$here/cases/$c/input.log
    if [ -f "$s" ]; then
        samples+=("$s")
    else
        fail "inputs: sample $s is missing"
    fi
done
if [ -f "$top/tests/data/sample-mail.log" ]; then
    samples+=("$top/tests/data/sample-mail.log")
else
    fail "inputs: tests/data/sample-mail.log is missing"
fi

corpus=()
for s in "$top"/tests/data/corpus/*.log; do
    [ -f "$s" ] && corpus+=("$s")
done

# A short name for messages.
nm() {
    case $1 in
    "$scratch"/in/*) basename "$1" ;;
    "$top"/*) echo "${1#"$top"/}" ;;
    *) echo "$1" ;;
    esac
}

# ---------------------------------------------------------------------------
# (a) Byte-exact pass-through of the tagged output; one output line per
# input line.

for f in "${hostile[@]}" "${samples[@]}"; do
    n=$(nm "$f")
    out=$scratch/a.out
    err=$scratch/a.err
    timeout 20 "$sc" --format=tagged --stats=none "$f" > "$out" 2> "$err"
    st=$?
    if [ "$st" -ne 0 ] && [ "$st" -ne 1 ]; then
        fail "(a) pass-through $n: exit status $st (expected 0 or 1); stderr: $(head -c 300 "$err")"
        continue
    fi
    if [ -s "$err" ]; then
        fail "(a) pass-through $n: unexpected stderr with --stats=none: $(head -c 300 "$err")"
        continue
    fi
    if ! strip_tags < "$out" | cmp -s - "$f"; then
        fail "(a) pass-through $n: output with the tags removed differs from the input ($(strip_tags < "$out" | cmp - "$f" 2>&1 | head -1))"
        continue
    fi
    lin=$(count_lines "$f")
    lout=$(count_lines "$out")
    if [ "$lin" -ne "$lout" ]; then
        fail "(a) pass-through $n: $lout output lines for $lin input lines"
        continue
    fi
    ok "(a) pass-through $n: byte-exact after removing tags, $lin lines in and out"
done

# Tags really are there (a check that (a) is not vacuous): the bounce line
# of crlf.log is tagged before its '\r'.
if timeout 20 "$sc" --stats=none "$scratch/in/crlf.log" 2> /dev/null | head -1 |
    perl -ne 'exit(/\)\tclass=permanent [^\r\t]*\r\n\z/ ? 0 : 1)'; then
    ok "(a) tags on a CRLF line are inserted before the '\\r'"
else
    fail "(a) the first line of crlf.log (a Postfix bounce, CRLF) is not tagged as '...)<TAB>class=permanent ...<CR><LF>'"
fi

# ---------------------------------------------------------------------------
# (b) JSON: one object per input line, all of it parses, and line /
# line_base64 give back every input line exactly.

for f in "${hostile[@]}" "${samples[@]}"; do
    n=$(nm "$f")
    out=$scratch/b.out
    timeout 20 "$sc" --format=json --stats=none "$f" > "$out" 2> "$scratch/b.err"
    st=$?
    if [ "$st" -ne 0 ] && [ "$st" -ne 1 ]; then
        fail "(b) json $n: exit status $st; stderr: $(head -c 300 "$scratch/b.err")"
        continue
    fi
    if ! jq -e . < "$out" > /dev/null 2> "$scratch/b.jq"; then
        fail "(b) json $n: jq cannot parse the output: $(head -c 300 "$scratch/b.jq")"
        continue
    fi
    lin=$(count_lines "$f")
    nobj=$(jq -c . < "$out" | wc -l)
    nphys=$(wc -l < "$out")
    nobjtype=$(jq -c 'select(type == "object")' < "$out" | wc -l)
    if [ "$nobj" -ne "$lin" ] || [ "$nphys" -ne "$lin" ] || [ "$nobjtype" -ne "$lin" ]; then
        fail "(b) json $n: $nobj JSON values ($nobjtype objects) on $nphys output lines for $lin input lines"
        continue
    fi
    # Rebuild the input from line_base64 (when present) or line.
    rebuilt=$scratch/b.rebuilt
    : > "$rebuilt"
    jq -r 'if has("line_base64") then .line_base64 else (.line | @base64) end' < "$out" > "$scratch/b.b64"
    bad=0
    while IFS= read -r b; do
        printf '%s' "$b" | base64 -d >> "$rebuilt" 2> /dev/null || bad=1
        printf '\n' >> "$rebuilt"
    done < "$scratch/b.b64"
    # The input with a final newline, as the rebuilt file always has one.
    cp "$f" "$scratch/b.expect"
    if [ -s "$f" ] && [ "$(tail -c 1 "$f" | od -An -tx1 | tr -d ' \n')" != "0a" ]; then
        printf '\n' >> "$scratch/b.expect"
    fi
    if [ "$bad" -ne 0 ] || ! cmp -s "$rebuilt" "$scratch/b.expect"; then
        fail "(b) json $n: line/line_base64 do not give back the input ($(cmp "$rebuilt" "$scratch/b.expect" 2>&1 | head -1))"
        continue
    fi
    ok "(b) json $n: $lin objects, lines rebuilt exactly"
done

# The invalid-UTF-8 bounce line on its own: line_base64 is present and
# decodes to exactly the input line, and "line" is valid JSON text.
f=$scratch/in/badutf8.log
head -1 "$f" | head -c -1 > "$scratch/b.line1"
obj=$(timeout 20 "$sc" --format=json --stats=none "$f" 2> /dev/null | head -1)
if [ "$(printf '%s' "$obj" | jq -r 'has("line_base64")' 2> /dev/null)" != "true" ]; then
    fail "(b) json invalid UTF-8: the first object has no line_base64: $(printf '%s' "$obj" | head -c 300)"
elif ! printf '%s' "$obj" | jq -r .line_base64 | base64 -d | cmp -s - "$scratch/b.line1"; then
    fail "(b) json invalid UTF-8: line_base64 does not decode to the input line"
elif [ "$(printf '%s' "$obj" | jq -r '.class + " " + .category')" != "permanent user_unknown" ]; then
    fail "(b) json invalid UTF-8: the bounce line is not classified permanent user_unknown: $(printf '%s' "$obj" | jq -c '[.class, .category]')"
else
    ok "(b) json invalid UTF-8: line_base64 gives the exact line, the line is still classified"
fi

# ---------------------------------------------------------------------------
# (c) Counters reconcile (--stats=json).

for f in "${corpus[@]}" "${samples[@]}" "${hostile[@]}"; do
    n=$(nm "$f")
    out=$scratch/c.out
    timeout 20 "$sc" -c --stats=json "$f" > "$out" 2> "$scratch/c.err"
    st=$?
    if [ "$st" -ne 0 ] && [ "$st" -ne 1 ]; then
        fail "(c) counters $n: exit status $st; stderr: $(head -c 300 "$scratch/c.err")"
        continue
    fi
    if [ -s "$scratch/c.err" ]; then
        fail "(c) counters $n: unexpected stderr with -c: $(head -c 300 "$scratch/c.err")"
        continue
    fi
    if ! vals=$(jq -r '[.totals.lines_read, .totals.lines_with_outcome,
                        .totals.lines_without_outcome, .totals.bytes_read,
                        ([.outcomes[].count] | add // 0)] | @tsv' < "$out" 2> /dev/null); then
        fail "(c) counters $n: --stats=json output does not parse: $(head -c 300 "$out")"
        continue
    fi
    read -r read_ with without bytes sum <<< "$vals"
    lin=$(count_lines "$f")
    size=$(wc -c < "$f")
    msg=""
    [ "$read_" = "$lin" ] || msg="$msg lines_read=$read_ but the input has $lin lines;"
    [ "$read_" = "$((with + without))" ] || msg="$msg lines_read=$read_ != lines_with_outcome=$with + lines_without_outcome=$without;"
    [ "$sum" = "$with" ] || msg="$msg sum of outcomes[].count=$sum != lines_with_outcome=$with;"
    [ "$bytes" = "$size" ] || msg="$msg bytes_read=$bytes but the input has $size bytes;"
    if [ -n "$msg" ]; then
        fail "(c) counters $n:$msg"
    else
        ok "(c) counters $n: $read_ lines = $with with outcome + $without without, outcomes sum to $sum, $bytes bytes"
    fi
done

# ---------------------------------------------------------------------------
# (d) The Prometheus exposition passes promtool, for each sample and for
# empty input; each metric family is contiguous with one HELP and one TYPE.

for f in "${samples[@]}" "$scratch/in/empty.log"; do
    n=$(nm "$f")
    out=$scratch/d.out
    timeout 20 "$sc" -c --stats=prometheus "$f" > "$out" 2> "$scratch/d.err"
    st=$?
    if [ "$st" -ne 0 ] && [ "$st" -ne 1 ]; then
        fail "(d) prometheus $n: exit status $st; stderr: $(head -c 300 "$scratch/d.err")"
        continue
    fi
    if ! timeout 20 promtool check metrics < "$out" > "$scratch/d.prom" 2>&1; then
        fail "(d) prometheus $n: promtool check metrics failed: $(head -c 500 "$scratch/d.prom")"
        continue
    fi
    # promtool does not see non-contiguous families (RELIABILITY.md RC-76).
    if ! grouping=$(awk '
        /^# HELP / { if (help[$3]++) { print "second HELP for " $3; bad = 1 } next }
        /^# TYPE / { if (type[$3]++) { print "second TYPE for " $3; bad = 1 } next }
        /^#/ || /^$/ { next }
        {
            name = $0; sub(/[{ ].*/, "", name)
            fam = name; sub(/_(total|bucket|sum|count|created)$/, "", fam)
            if (fam != last && seen[fam]++) { print "family " fam " is not contiguous"; bad = 1 }
            last = fam
        }
        END { exit bad }' "$out"); then
        fail "(d) prometheus $n: $grouping"
        continue
    fi
    if ! grep -q '^smtpclass_lines_read_total ' "$out"; then
        fail "(d) prometheus $n: no smtpclass_lines_read_total sample"
        continue
    fi
    ok "(d) prometheus $n: promtool check metrics passes, families contiguous"
done

# ---------------------------------------------------------------------------
# (e) Closed pipe: the reader goes away after one line.

run_closed_pipe() { # STATS -> sets cp_status, cp_first; stderr in $scratch/e.err
    local stats=$1 st
    local -a ps
    seq 1 200000 2> /dev/null | sed 's/$/ status=bounced/' 2> /dev/null |
        timeout 20 "$sc" "--stats=$stats" 2> "$scratch/e.err" | head -1 > "$scratch/e.out"
    ps=("${PIPESTATUS[@]}")
    cp_status=${ps[2]}
    cp_first=$(cat "$scratch/e.out")
}

run_closed_pipe none
if [ "$cp_status" -ne 0 ]; then
    fail "(e) closed pipe: smtpclass exit status $cp_status (expected 0); stderr: $(head -c 300 "$scratch/e.err")"
elif [ -s "$scratch/e.err" ]; then
    fail "(e) closed pipe: stderr not empty with --stats=none: $(head -c 300 "$scratch/e.err")"
elif [ "${cp_first%%$'\t'*}" != "1 status=bounced" ]; then
    fail "(e) closed pipe: first output line is '$cp_first', expected '1 status=bounced' (plus tags)"
else
    ok "(e) closed pipe: exit 0, empty stderr, first line intact"
fi

# The same when the parent already ignores SIGPIPE (GNU grep tests/epipe).
(
    trap '' PIPE
    run_closed_pipe none
    echo "$cp_status" > "$scratch/e.status"
)
st=$(cat "$scratch/e.status")
if [ "$st" -ne 0 ] || [ -s "$scratch/e.err" ]; then
    fail "(e) closed pipe, SIGPIPE ignored by the parent: exit status $st (expected 0), stderr: $(head -c 300 "$scratch/e.err")"
else
    ok "(e) closed pipe, SIGPIPE ignored by the parent: exit 0, empty stderr"
fi

# With counters: stderr holds the counters and nothing else.
run_closed_pipe json
if [ "$cp_status" -ne 0 ]; then
    fail "(e) closed pipe --stats=json: exit status $cp_status (expected 0); stderr: $(head -c 300 "$scratch/e.err")"
elif ! jq -e '.totals.lines_read >= 1' < "$scratch/e.err" > /dev/null 2>&1; then
    fail "(e) closed pipe --stats=json: stderr is not just the JSON counters: $(head -c 300 "$scratch/e.err")"
else
    ok "(e) closed pipe --stats=json: exit 0, stderr is the counters only (lines_read $(jq .totals.lines_read < "$scratch/e.err"))"
fi

# ---------------------------------------------------------------------------
# (f) Write error: stdout is /dev/full.

if [ -w /dev/full ]; then
    expect_err='smtpclass: write error: No space left on device'
    big=$scratch/in/big.log
    for i in $(seq 1 200); do cat "$top/tests/data/sample-mail.log"; done > "$big"
    for spec in "small:--stats=none:$top/tests/data/sample-mail.log" \
        "large:--stats=none:$big"; do
        label=${spec%%:*}
        rest=${spec#*:}
        opts=${rest%%:*}
        f=${rest#*:}
        timeout 20 "$sc" "$opts" "$f" > /dev/full 2> "$scratch/f.err"
        st=$?
        if [ "$st" -ne 2 ]; then
            fail "(f) write error ($label, $opts): exit status $st (expected 2); stderr: $(head -c 300 "$scratch/f.err")"
        elif [ "$(cat "$scratch/f.err")" != "$expect_err" ] || [ "$(wc -l < "$scratch/f.err")" -ne 1 ]; then
            fail "(f) write error ($label, $opts): stderr is '$(head -c 300 "$scratch/f.err")', expected exactly one line '$expect_err'"
        else
            ok "(f) write error ($label, $opts): exit 2, one line '$expect_err'"
        fi
    done
    # With -c the counters are what fails to be written: exit 2 and one
    # message naming the error (its wording may differ).
    timeout 20 "$sc" -c --stats=text "$top/tests/data/sample-mail.log" > /dev/full 2> "$scratch/f.err"
    st=$?
    if [ "$st" -ne 2 ]; then
        fail "(f) write error (-c --stats=text): exit status $st (expected 2); stderr: $(head -c 300 "$scratch/f.err")"
    elif [ "$(wc -l < "$scratch/f.err")" -ne 1 ] || ! grep -qx 'smtpclass: .*: No space left on device' "$scratch/f.err"; then
        fail "(f) write error (-c --stats=text): stderr is '$(head -c 300 "$scratch/f.err")', expected one line 'smtpclass: ...: No space left on device'"
    else
        ok "(f) write error (-c --stats=text): exit 2, one line '$(cat "$scratch/f.err")'"
    fi
else
    fail "(f) write error: /dev/full is not writable here"
fi

# ---------------------------------------------------------------------------
# (g) Streaming: a line written into a FIFO that stays open appears, tagged,
# on the output pipe within 2 s.

# Wait until FILE contains a line matching the ERE, at most MS milliseconds.
wait_for_line() { # FILE ERE MS
    local deadline=$(($(now_ms) + $3))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        grep -aqE "$2" "$1" 2> /dev/null && return 0
        sleep 0.02
    done
    grep -aqE "$2" "$1" 2> /dev/null
}

# Wait until process PID has exited, at most MS milliseconds.
wait_exit() { # PID MS
    local deadline=$(($(now_ms) + $2))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        kill -0 "$1" 2> /dev/null || return 0
        sleep 0.02
    done
    ! kill -0 "$1" 2> /dev/null
}

# Wait until process PID sleeps (blocked in read), at most MS milliseconds.
wait_sleeping() { # PID MS
    local deadline=$(($(now_ms) + $2)) st
    while [ "$(now_ms)" -lt "$deadline" ]; do
        st=$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null)
        [ "$st" = "S" ] && return 0
        sleep 0.02
    done
    return 1
}

fifo=$scratch/g.fifo
mkfifo "$fifo"
# Hold the FIFO open read-write: nothing blocks, and the FIFO has a writer
# until fd 3 is closed. The background jobs must not inherit fd 3.
exec 3<> "$fifo"
: > "$scratch/g.out"
(timeout 20 "$sc" --stats=none < "$fifo" 2> "$scratch/g.err" | cat > "$scratch/g.out") 3>&- &
gpid=$!
bgpids="$bgpids $gpid"
t0=$(now_ms)
printf '%s\n' "$bounce_line" >&3
if wait_for_line "$scratch/g.out" $'\tclass=permanent ' 2000; then
    t1=$(now_ms)
    ok "(g) streaming: tagged line on the output pipe after $((t1 - t0)) ms, writer still open"
else
    fail "(g) streaming: no tagged line on the output pipe within 2 s while the writer stays open (output so far: $(head -c 200 "$scratch/g.out"))"
fi
exec 3>&-
if wait_exit "$gpid" 5000; then
    wait "$gpid"
    st=$?
    if [ "$st" -ne 0 ]; then
        fail "(g) streaming: exit status $st after the writer closed (expected 0); stderr: $(head -c 300 "$scratch/g.err")"
    elif [ "$(wc -l < "$scratch/g.out")" -ne 1 ]; then
        fail "(g) streaming: $(wc -l < "$scratch/g.out") output lines, expected 1"
    else
        ok "(g) streaming: exit 0 once the writer closed, one line out"
    fi
else
    fail "(g) streaming: smtpclass did not exit within 5 s of the writer closing the FIFO"
    kill -9 "$gpid" 2> /dev/null
fi

# ---------------------------------------------------------------------------
# (h) SIGTERM while blocked in read on a quiet FIFO.

sigterm_check() { # LABEL LINES-TO-WRITE-FIRST
    local label=$1 nlines=$2 pid st t0 t1 i
    local fifo=$scratch/h.fifo
    rm -f "$fifo" "$scratch/h.out" "$scratch/h.err"
    mkfifo "$fifo"
    exec 4<> "$fifo"
    "$sc" --stats=json < "$fifo" > "$scratch/h.out" 2> "$scratch/h.err" 4>&- &
    pid=$!
    bgpids="$bgpids $pid"
    for ((i = 0; i < nlines; i++)); do
        printf '%s\n' "$bounce_line" >&4
    done
    if [ "$nlines" -gt 0 ] && ! wait_for_line "$scratch/h.out" $'\tclass=' 2000; then
        fail "(h) SIGTERM $label: the line written before SIGTERM was not output within 2 s"
    fi
    if ! wait_sleeping "$pid" 2000; then
        fail "(h) SIGTERM $label: smtpclass never blocked reading the FIFO"
        kill -9 "$pid" 2> /dev/null
        exec 4>&-
        return
    fi
    t0=$(now_ms)
    kill -TERM "$pid"
    if ! wait_exit "$pid" 2000; then
        fail "(h) SIGTERM $label: smtpclass still running 2 s after SIGTERM (blocked read not interrupted)"
        kill -9 "$pid" 2> /dev/null
        wait "$pid" 2> /dev/null
        exec 4>&-
        return
    fi
    t1=$(now_ms)
    wait "$pid"
    st=$?
    exec 4>&-
    if ! jq -e ".totals.lines_read == $nlines" < "$scratch/h.err" > /dev/null 2>&1; then
        fail "(h) SIGTERM $label: exited (status $st) after $((t1 - t0)) ms, but stderr does not hold the counters with lines_read $nlines: $(head -c 300 "$scratch/h.err")"
    elif [ "$(wc -l < "$scratch/h.out")" -ne "$nlines" ]; then
        fail "(h) SIGTERM $label: $(wc -l < "$scratch/h.out") lines on stdout, expected $nlines"
    else
        ok "(h) SIGTERM $label: exited after $((t1 - t0)) ms with status $st, counters printed (lines_read $nlines)"
    fi
}
sigterm_check "on a quiet FIFO (no data)" 0
sigterm_check "after one line, FIFO then quiet" 1

# ---------------------------------------------------------------------------

printf '%d checks, %d failed\n' "$checks" "$failed"
[ "$failed" -eq 0 ]
