#!/usr/bin/env bash
# -j N and the progress line: with any number of threads and any unit size
# (SMTPCLASS_UNIT_BYTES puts unit boundaries everywhere: inside a 3 MB
# line, between a CR and its LF, next to NUL bytes), the tagged lines, the
# JSON lines, the counters, the messages and the exit status equal -j 1's.
# --progress draws on stderr and erases itself; never without it on a
# non-terminal, never in follow mode.
#
# usage: parallel.sh SMTPCLASS_BINARY GEN_MAILLOG_BINARY
#
# Prints one line per check (ok / FAIL with the reason) and exits 1 if any
# check failed, 2 on a usage error or a missing tool.
#
# Needs: gzip, zstd, perl, timeout, mkfifo, cmp.

set -u

[ $# -eq 2 ] || { echo "usage: $0 SMTPCLASS_BINARY GEN_MAILLOG_BINARY" >&2; exit 2; }
bin=$1 gen=$2
case $bin in /*) ;; *) bin=$PWD/$bin ;; esac
case $gen in /*) ;; *) gen=$PWD/$gen ;; esac
for b in "$bin" "$gen"; do
    if [ ! -x "$b" ] || [ -d "$b" ]; then
        echo "$0: $b: not an executable file" >&2
        exit 2
    fi
done
for tool in gzip zstd perl timeout mkfifo cmp; do
    command -v "$tool" > /dev/null || { echo "$0: missing tool: $tool" >&2; exit 2; }
done

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/smtpclass-parallel.XXXXXX") || exit 2
cleanup() { rm -rf "$scratch"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Run the binary as "smtpclass" so its messages never depend on its path;
# inputs are named relative to the scratch directory for the same reason.
mkdir "$scratch/bin" "$scratch/in" "$scratch/out" || exit 2
ln -s "$bin" "$scratch/bin/smtpclass" || exit 2
sc=$scratch/bin/smtpclass
cd "$scratch" || exit 2
export LC_ALL=C TZ=UTC
unset LANG LANGUAGE LC_MESSAGES SMTPCLASS_UNIT_BYTES

failed=0
checks=0
ok() { checks=$((checks + 1)); printf 'ok   %s\n' "$*"; }
fail() { checks=$((checks + 1)); failed=$((failed + 1)); printf 'FAIL %s\n' "$*"; }

# ---------------------------------------------------------------------------
# Inputs

pfx='Mar  3 08:09:02 mx1 postfix/smtp[2201]: 7C3D21C0B5: to=<j@example.net>, relay=mx.example.net[198.51.100.26]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.net[198.51.100.26] said: 550 5.1.1 <j@example.net>: no such user'
bounce="$pfx (in reply to RCPT TO command))"
reject='Mar  3 08:01:11 mx1 postfix/smtpd[2131]: NOQUEUE: reject: RCPT from unknown[198.51.100.23]: 450 4.7.1 Client host rejected: cannot find your hostname, [198.51.100.23]; from=<a@example.net> to=<b@example.org> proto=ESMTP helo=<x>'

# Short lines with CRLF, lone CR, NUL bytes, empty lines; no final newline.
{
    printf '%s\r\n' "$bounce"
    printf 'a\000b 550 5.1.1 x\n'
    printf '\r\n\n\000\000\n'
    printf '%s\000after the NUL)\r\n' "$pfx"
    printf 'lone\rcarriage 550 5.1.1 x\n'
    printf '%s\r\r\n' "$reject"
    printf 'plain line\n'
    printf '%s' "$bounce"
} > in/edge.log

# A 3 MB line with a code in its first bytes, between short lines.
{
    printf '%s\r\n' "$reject"
    printf '%s ' "$pfx"
    head -c 3000000 /dev/zero | tr '\0' 'x'
    printf ')\n'
    printf 'after 550 5.1.1 x\r\n'
    printf '%s\n' "$bounce"
} > in/long.log

: > in/empty.log
printf '\n' > in/newline.log
printf '%s' "$reject" > in/nonl.log

# A generated log, plain and compressed (a two-member gzip file too).
"$gen" --seed 11 --size 3M > in/gen.log 2> /dev/null || { echo "$0: gen_maillog failed" >&2; exit 2; }
"$gen" --seed 12 --size 1M > in/gen2.log 2> /dev/null || exit 2
gzip -c in/gen2.log > in/gen2.log.gz
zstd -q -c in/edge.log > in/edge.log.zst
{ head -c 100000 in/gen.log | gzip -c; tail -c +100001 in/gen2.log | gzip -c; } > in/multi.gz

corpus=()
for s in "$top"/tests/data/corpus/*.log "$top"/tests/data/corpus/*.txt; do
    [ -f "$s" ] || continue
    cp "$s" in/ && corpus+=("in/$(basename "$s")")
done
[ ${#corpus[@]} -gt 0 ] || fail "inputs: no corpus files in tests/data/corpus"

# Remove the progress line's draws and erasures from a stderr file: each is
# '\r' and text up to the next '\r'; what is left are the messages.
strip_progress() {
    perl -0777 -pe 's/\r[^\r\n]*(?=\r)//g; s/\r//g' "$1" > "$1.tmp" && mv "$1.tmp" "$1"
}

# ---------------------------------------------------------------------------
# Equality with -j 1

# run NAME JOBS UNIT ARGS...: stdout, stderr and exit status of one run.
run() {
    local name=$1 j=$2 unit=$3
    shift 3
    if [ "$unit" = - ]; then
        "$sc" -j "$j" "$@" > "out/$name.stdout" 2> "out/$name.stderr"
    else
        SMTPCLASS_UNIT_BYTES=$unit "$sc" -j "$j" "$@" \
            > "out/$name.stdout" 2> "out/$name.stderr"
    fi
    echo $? > "out/$name.exit"
}

same() { # NAME_A NAME_B -> which of the three outputs differ
    local d=""
    cmp -s "out/$1.stdout" "out/$2.stdout" || d="$d stdout"
    cmp -s "out/$1.stderr" "out/$2.stderr" || d="$d stderr"
    cmp -s "out/$1.exit" "out/$2.exit" || d="$d exit($(cat "out/$1.exit") vs $(cat "out/$2.exit"))"
    printf '%s' "$d"
}

# compare LABEL "UNITS" INPUTS...: tagged lines, JSON lines and JSON
# counters, for -j 2, 3, 7 and each unit size (- : the default), against
# -j 1.
compare() {
    local label=$1 units=$2
    shift 2
    local mode j u d bad
    local -a opts
    for mode in tagged json count; do
        case $mode in
        tagged) opts=(--stats=none) ;;
        json) opts=(--format=json --stats=none) ;;
        count) opts=(-c --stats=json) ;;
        esac
        run ref 1 - "${opts[@]}" "$@"
        bad=""
        for j in 2 3 7; do
            for u in $units; do
                run "j$j-u$u" "$j" "$u" "${opts[@]}" "$@"
                d=$(same ref "j$j-u$u")
                [ -z "$d" ] || bad="$bad [-j $j unit $u:$d]"
            done
        done
        # With --progress, one thread also goes through the parallel runner.
        run p1 1 "${units%% *}" --progress "${opts[@]}" "$@"
        strip_progress out/p1.stderr
        d=$(same ref p1)
        [ -z "$d" ] || bad="$bad [-j 1 --progress unit ${units%% *}:$d]"
        if [ -z "$bad" ]; then
            ok "$label, $mode: same as -j 1"
        else
            fail "$label, $mode: differs from -j 1:$bad"
        fi
    done
}

compare "edge lines (CRLF, NUL, no final newline)" "1 2 3 5 64" in/edge.log
compare "a 3 MB line" "1000 65536 1048576" in/long.log
compare "empty file, lone newline, no newline" "1 2" in/empty.log in/newline.log in/nonl.log
compare "corpus (${#corpus[@]} files)" "37 4096" "${corpus[@]}"
compare "generated 3 MB log" "65536 1000003 -" in/gen.log
compare "gzip, zstd and plain files" "4096 -" in/gen2.log.gz in/edge.log in/edge.log.zst in/multi.gz in/long.log in/gen2.log

# A missing file among others: reported in its place, the others still
# processed, exit 2.
compare "a missing file among others" "1000 -" in/edge.log in/missing.log in/gen2.log in/also-missing.log
if grep -q "smtpclass: in/missing.log: No such file or directory" out/j2-u1000.stderr &&
    [ "$(cat out/j2-u1000.exit)" = 2 ] && [ -s out/j2-u1000.stdout ]; then
    ok "a missing file: message, exit 2, the others' output"
else
    fail "a missing file: expected its message, exit 2 and output; got exit $(cat out/j2-u1000.exit): $(head -c 300 out/j2-u1000.stderr)"
fi

# A FIFO and a directory among files: each is one unit, read as a stream;
# the directory's read error is reported in its place.
for j in 1 3; do
    rm -f out/fifo
    mkfifo out/fifo
    cat in/edge.log > out/fifo &
    run "fifo$j" "$j" 4096 --stats=json in/gen2.log out/fifo in/edge.log.zst in in/edge.log
    wait
done
d=$(same fifo1 fifo3)
if [ -z "$d" ] && grep -q "smtpclass: in: Is a directory" out/fifo3.stderr; then
    ok "a FIFO and a directory among files: same as -j 1"
else
    fail "a FIFO and a directory among files: differs from -j 1:$d"
fi

# Label families (--top) and delay histograms merge to the same figures.
run pa 1 - -c --top 3 --stats=prometheus in/gen.log "${corpus[@]}"
run pb 3 65536 -c --top 3 --stats=prometheus in/gen.log "${corpus[@]}"
d=$(same pa pb)
if [ -z "$d" ] && grep -q 'domain' out/pa.stdout; then
    ok "--top 3, Prometheus: same labels and histograms with -j 3"
else
    fail "--top 3, Prometheus: differs with -j 3:$d"
fi

# --unmatched keeps its groups in line order: one thread, same groups.
run ua 1 - --unmatched=out/ua.txt --stats=none "${corpus[@]}" in/gen.log
run ub 3 4096 --progress --unmatched=out/ub.txt --stats=none "${corpus[@]}" in/gen.log
strip_progress out/ub.stderr
d=$(same ua ub)
if [ -z "$d" ] && cmp -s out/ua.txt out/ub.txt && [ -s out/ua.txt ]; then
    ok "--unmatched with -j 3 --progress: same lines and groups as -j 1"
else
    fail "--unmatched with -j 3 --progress differs:$d $(cmp out/ua.txt out/ub.txt 2>&1)"
fi

# Output and counters do not depend on the unit size either (-j 2).
run ga 2 - --stats=json in/gen.log
run gb 2 4095 --stats=json in/gen.log
d=$(same ga gb)
if [ -z "$d" ]; then
    ok "unit size: same output and counters"
else
    fail "unit size changes:$d"
fi

# ---------------------------------------------------------------------------
# Closed output and signals

# A closed pipe ends the run at once; the counters still come out.
"$gen" --seed 13 --size 20M > in/big.log 2> /dev/null || exit 2
for j in 1 2; do
    timeout 60 bash -c "set -o pipefail; SMTPCLASS_UNIT_BYTES=65536 '$sc' -j $j --stats=json in/big.log 2> out/epipe$j.stderr | head -c 1000 > /dev/null"
    echo $? > out/epipe$j.rc
done
if [ "$(cat out/epipe1.rc)" != 124 ] && [ "$(cat out/epipe2.rc)" != 124 ] &&
    grep -q '"lines_read"' out/epipe2.stderr && ! grep -q 'write error' out/epipe2.stderr; then
    ok "closed output pipe: -j 2 stops quietly and writes the counters"
else
    fail "closed output pipe: status $(cat out/epipe1.rc) / $(cat out/epipe2.rc), stderr: $(head -c 300 out/epipe2.stderr)"
fi

# SIGTERM while the output is blocked (a slow reader): what comes out is a
# prefix of the full output, status 0. (Not timeout(1): it signals the
# process and its group, and a second SIGTERM means "die now".)
SMTPCLASS_UNIT_BYTES=65536 "$sc" -j 2 --stats=none in/big.log > out/full.stdout 2> /dev/null
mkfifo out/slow
(sleep 1; cat) < out/slow > out/term.stdout &
reader=$!
SMTPCLASS_UNIT_BYTES=65536 "$sc" -j 2 --stats=none in/big.log > out/slow 2> out/term.stderr &
pid=$!
sleep 0.5
kill -TERM "$pid" 2> /dev/null
wait "$pid"
rc=$?
wait "$reader"
n=$(wc -c < out/term.stdout)
if [ "$rc" = 0 ] && [ "$n" -lt "$(wc -c < out/full.stdout)" ] &&
    cmp -s -n "$n" out/term.stdout out/full.stdout; then
    ok "SIGTERM: -j 2 stops with status 0, output a prefix of the full output ($n bytes)"
else
    fail "SIGTERM: status $rc, $n bytes, prefix: $(cmp -n "$n" out/term.stdout out/full.stdout 2>&1)"
fi

# ---------------------------------------------------------------------------
# The progress line

SMTPCLASS_UNIT_BYTES=65536 "$sc" -j 2 --progress --stats=none in/big.log > /dev/null 2> out/prog.stderr
rc=$?
tr '\r' '\n' < out/prog.stderr | grep -v '^ *$' > out/prog.lines
if [ "$rc" = 0 ] && [ -s out/prog.lines ] &&
    ! grep -qv '^smtpclass: [0-9.]* [kMG]*B / [0-9.]* [kMG]*B ([0-9]*%), [0-9.]* MB/s, [0-9:-]* left$' out/prog.lines &&
    [ -z "$(perl -0777 -ne 'print $1 if /\r([^\r]*)\z/' out/prog.stderr)" ]; then
    ok "--progress: $(wc -l < out/prog.lines) progress lines on stderr, erased at the end"
else
    fail "--progress: status $rc, stderr: $(head -c 300 out/prog.stderr | od -c | head -5)"
fi

SMTPCLASS_UNIT_BYTES=65536 "$sc" -j 2 --progress in/gen.log > /dev/null 2> out/prog2.stderr
"$sc" -j 1 in/gen.log > /dev/null 2> out/noprog2.stderr
strip_progress out/prog2.stderr
if cmp -s out/prog2.stderr out/noprog2.stderr && [ -s out/noprog2.stderr ]; then
    ok "--progress: erased before the counters, which are unchanged"
else
    fail "--progress: counters on stderr differ after the progress line"
fi

for args in "--no-progress" "" "--progress --no-progress"; do
    # shellcheck disable=SC2086 # args are words
    "$sc" -j 2 $args --stats=none in/gen.log in/gen2.log > /dev/null 2> out/none.stderr
    if [ -s out/none.stderr ]; then
        fail "progress with '${args:-no option}' and stderr not a terminal: $(head -c 200 out/none.stderr)"
    else
        ok "no progress with '${args:-no option}' and stderr not a terminal"
    fi
done

# Follow mode never draws one, not even when asked.
timeout --preserve-status -s TERM 2 "$sc" -F --from-start --progress --stats=none in/gen.log > out/follow.stdout 2> out/follow.stderr
rc=$?
if grep -q 'MB/s' out/follow.stderr; then
    fail "follow mode: a progress line was drawn"
elif [ "$rc" != 0 ] || [ ! -s out/follow.stdout ]; then
    fail "follow mode: status $rc, $(wc -c < out/follow.stdout) bytes of output: $(head -c 200 out/follow.stderr)"
else
    ok "follow mode: no progress line"
fi

echo "$checks checks, $failed failed"
[ "$failed" -eq 0 ]
