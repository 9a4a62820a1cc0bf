#!/usr/bin/env bash
# Follow mode of the smtpclass binary (RELIABILITY.md RC-04, RC-56..RC-62,
# RC-64, RC-68): a writer appends numbered bounce lines at a steady pace
# while the log is rotated by rename + create, copytruncate, delete +
# recreate and a re-pointed symlink; after SIGTERM every line written must
# have come out once, in order, and the exit status must be 0. Also: -F
# starts at the end, a partial line is held until its newline and flushed
# as it is at SIGTERM, and -F on a quiet file stops within 1 s of SIGTERM.
# RC-52: an appended line comes out tagged within 200 ms (median of 5).
# RC-56: tail -n0 -F FILE | smtpclass --stats=json across a mv + create
# rotation: lines in == lines_read, in order, exit 0 at EOF.
#
# usage: follow.sh SMTPCLASS_BINARY
#
# Prints one line per check (ok / FAIL with the reason) and a summary line
# "lines written / lines read across N rotations"; exits 1 if any check
# failed, 2 on a usage error or a missing tool. Linux only (/proc).

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
for tool in date grep sed seq cmp cp mv ln rm sleep wc tr readlink sort tail mkfifo; do
    command -v "$tool" > /dev/null || { echo "$0: missing tool: $tool" >&2; exit 2; }
done
[ -d /proc/self/fd ] || { echo "$0: needs /proc" >&2; exit 2; }

scratch=$(mktemp -d "${TMPDIR:-/tmp}/smtpclass-follow.XXXXXX") || exit 2
bgpids=""
cleanup() {
    for p in $bgpids; do kill -9 "$p" 2> /dev/null; done
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Run the binary as "smtpclass" so its messages never depend on its path.
mkdir "$scratch/bin" || exit 2
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

# Wait until PID has exited, at most MS milliseconds.
wait_exit() { # PID MS
    local deadline=$(($(now_ms) + $2))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        kill -0 "$1" 2> /dev/null || return 0
        sleep 0.02
    done
    ! kill -0 "$1" 2> /dev/null
}

# Wait until PID has FILE open, at its offset POS or beyond (default 0),
# at most MS milliseconds: from then on it follows the file.
wait_open() { # PID FILE MS [POS]
    local deadline=$(($(now_ms) + $3)) want fd pos
    want=$(readlink -f "$2")
    while [ "$(now_ms)" -lt "$deadline" ]; do
        for fd in /proc/"$1"/fd/*; do
            [ "$(readlink "$fd" 2> /dev/null)" = "$want" ] || continue
            pos=$(sed -n 's/^pos:[[:space:]]*//p' "/proc/$1/fdinfo/${fd##*/}" 2> /dev/null)
            [ "${pos:-0}" -ge "${4:-0}" ] && return 0
        done
        sleep 0.02
    done
    return 1
}

# Wait until FILE contains a line matching the fixed string S, at most MS.
wait_for() { # FILE S MS
    local deadline=$(($(now_ms) + $3))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        grep -qF -- "$2" "$1" 2> /dev/null && return 0
        sleep 0.02
    done
    return 1
}

# Start smtpclass in the background with ARGS, without the writer's fd 3
# (wait_open must not mistake it for smtpclass's own); sets pid.
start_sc() { # OUT ERR ARGS...
    local out=$1 err=$2
    shift 2
    "$sc" "$@" > "$out" 2> "$err" 3>&- &
    pid=$!
    bgpids="$bgpids $pid"
}

# SIGTERM pid, wait at most 5 s; sets st (exit status, or 999 if it hung)
# and stop_ms (time from the signal to the exit).
stop_sc() {
    local t0
    t0=$(now_ms)
    kill -TERM "$pid"
    if wait_exit "$pid" 5000; then
        stop_ms=$(($(now_ms) - t0))
        wait "$pid"
        st=$?
    else
        stop_ms=$(($(now_ms) - t0))
        kill -9 "$pid" 2> /dev/null
        wait "$pid" 2> /dev/null
        st=999
    fi
}

pfx='Mar  3 08:09:02 mx1 postfix/smtp[2201]: 7C3D21C0B5: to=<u@example.net>, relay=mx.example.net[198.51.100.26]:25, delay=1.2, dsn=5.1.1, status=bounced (550 5.1.1 user unknown)'

# The writer. It holds the log open on fd 3 like syslogd and reopens it
# after a rotation (as after a HUP); a few lines still go to the old file
# after the rotation, and for rename + create also after the create.
seq_n=0
put() { # N: write N numbered lines through fd 3, one every 5 ms
    local i
    for ((i = 0; i < $1; i++)); do
        seq_n=$((seq_n + 1))
        printf '%s seq=%d\n' "$pfx" "$seq_n" >&3
        sleep 0.005
    done
}

# Rotate the log at dir/name by KIND (rename, copytruncate, delete,
# symlink); k numbers the rotated copies. out: the output to sync on.
rotate() { # KIND DIR K OUT
    local kind=$1 d=$2 k=$3 out=$4
    case $kind in
    rename)
        mv "$d/mail.log" "$d/mail.log.$k"
        put 3 # to the renamed file, before the create
        : > "$d/mail.log"
        put 2 # still to the old file: the writer has not reopened yet
        exec 3>> "$d/mail.log"
        ;;
    copytruncate)
        # Lines written between the copy and the truncation are lost by
        # design (logrotate documents it): let smtpclass catch up first.
        wait_for "$out" "seq=$seq_n"$'\t' 5000
        cp "$d/mail.log" "$d/mail.log.$k"
        : > "$d/mail.log"
        ;;
    delete)
        rm "$d/mail.log"
        put 3 # to the deleted file
        : > "$d/mail.log"
        exec 3>> "$d/mail.log"
        ;;
    symlink)
        : > "$d/mail.log.$k"
        ln -sfn "mail.log.$k" "$d/mail.log"
        put 2 # still to the old target
        exec 3>> "$d/mail.log.$k"
        ;;
    esac
}

# The seq numbers of OUT, one per line; lines that are not whole bounce
# lines (mixed, cut, doubled) come out as "bad".
seqs_of() { # OUT
    sed -E 's/^Mar  3 08:09:02 mx1 postfix\/smtp\[2201\]: 7C3D21C0B5: .* seq=([0-9]+)(\t.*)?$/\1/; t; s/.*/bad/' "$1"
}

# Compare OUT with the lines FIRST..seq_n; report under LABEL.
check_seqs() { # LABEL OUT FIRST N_ROTATIONS
    local label=$1 out=$2 first=$3 nrot=$4 nin nout
    seqs_of "$out" > "$scratch/got.seq"
    seq "$first" "$seq_n" > "$scratch/want.seq"
    nin=$(wc -l < "$scratch/want.seq")
    nout=$(wc -l < "$scratch/got.seq")
    if cmp -s "$scratch/want.seq" "$scratch/got.seq"; then
        ok "$label: $nin lines written / $nout lines read across $nrot rotations, exact order, no duplicates"
    else
        fail "$label: $nin lines written / $nout lines read across $nrot rotations; bad lines: $(grep -c bad "$scratch/got.seq"), duplicates: $(sort "$scratch/got.seq" | uniq -d | wc -l), first difference: $(cmp "$scratch/want.seq" "$scratch/got.seq" 2>&1 | head -1)"
    fi
    total_in=$((total_in + nin))
    total_out=$((total_out + nout))
    total_rot=$((total_rot + nrot))
}

total_in=0
total_out=0
total_rot=0

# One run: smtpclass ARGS on dir/mail.log while the writer rotates the log
# through KINDS, 40 lines before each rotation and 40 after the last.
run_rotations() { # LABEL KINDS ARGS...
    local label=$1 kinds=$2 d out err k=0 first kind
    shift 2
    d=$scratch/$label
    mkdir "$d" || exit 2
    out=$d/out
    err=$d/err
    seq_n=0
    case $kinds in
    symlink*)
        : > "$d/mail.log.0"
        ln -s mail.log.0 "$d/mail.log"
        exec 3>> "$d/mail.log.0"
        ;;
    *) exec 3>> "$d/mail.log" ;;
    esac
    first=1
    if [ "$1" = "-F" ] && [ "${2:-}" != "--from-start" ]; then
        put 10 # already there at start: not to be read
        first=$((seq_n + 1))
    fi
    start_sc "$out" "$err" "$@" --stats=prometheus "$d/mail.log"
    # Without --from-start, what is there is skipped: wait for the seek.
    local pos=0
    [ "$first" -gt 1 ] && pos=$(wc -c < "$d/mail.log")
    if ! wait_open "$pid" "$d/mail.log" 5000 "$pos"; then
        fail "$label: smtpclass did not open $d/mail.log within 5 s: $(head -c 300 "$err")"
        stop_sc
        exec 3>&-
        return
    fi
    for kind in $kinds; do
        put 40
        k=$((k + 1))
        rotate "$kind" "$d" "$k" "$out"
    done
    put 40
    exec 3>&-
    wait_for "$out" "seq=$seq_n" 10000
    stop_sc
    if [ "$st" -ne 0 ]; then
        fail "$label: exit status $st after SIGTERM (want 0); stderr: $(head -c 300 "$err")"
    fi
    check_seqs "$label" "$out" "$first" "$k"
    local nread
    nread=$(sed -n 's/^smtpclass_lines_read_total //p' "$err")
    if [ "$nread" != "$((seq_n - first + 1))" ]; then
        fail "$label: smtpclass_lines_read_total is '$nread', want $((seq_n - first + 1))"
    fi
    if grep -q -v -e '^#' -e '^smtpclass_' "$err"; then
        fail "$label: unexpected messages: $(grep -v -e '^#' -e '^smtpclass_' "$err" | head -3)"
    fi
}

# ---------------------------------------------------------------------------
# (a) Rotations under a steady writer.

run_rotations from_start "rename copytruncate delete rename copytruncate delete" -F --from-start
run_rotations at_end "rename delete copytruncate rename delete" -F
run_rotations symlink "symlink symlink symlink symlink symlink" -F --from-start

# ---------------------------------------------------------------------------
# (b) A partial line is held until its newline (RC-04) and flushed as it is
# at SIGTERM; -F on a quiet file stops within 1 s of SIGTERM (RC-64).

d=$scratch/partial
mkdir "$d" || exit 2
: > "$d/mail.log"
start_sc "$d/out" "$d/err" -F --stats=none "$d/mail.log"
if ! wait_open "$pid" "$d/mail.log" 5000; then
    fail "partial: smtpclass did not open the file within 5 s"
else
    printf 'line ' >> "$d/mail.log"
    sleep 0.3
    if [ -s "$d/out" ]; then
        fail "partial: output before the newline: $(head -c 100 "$d/out")"
    fi
    printf '2\n' >> "$d/mail.log"
    wait_for "$d/out" "line 2" 3000
    printf 'held' >> "$d/mail.log"
    sleep 0.3
fi
stop_sc
if [ "$st" -ne 0 ]; then
    fail "partial: exit status $st after SIGTERM (want 0); stderr: $(head -c 300 "$d/err")"
elif [ "$(printf 'line 2\nheld')" != "$(cat "$d/out")" ] ||
    [ "$(tail -c 1 "$d/out")" != "d" ]; then
    fail "partial: output is '$(head -c 200 "$d/out" | tr '\n' '|')', want 'line 2|held' (held flushed as it is)"
else
    ok "partial: 'line ' + '2\\n' came out as one line; the held 'held' was flushed as it is at SIGTERM"
fi

d=$scratch/quiet
mkdir "$d" || exit 2
printf '%s seq=1\n' "$pfx" > "$d/mail.log"
start_sc "$d/out" "$d/err" -F --stats=none "$d/mail.log"
if ! wait_open "$pid" "$d/mail.log" 5000; then
    fail "quiet: smtpclass did not open the file within 5 s"
fi
sleep 1.5 # well inside poll(), past a few idle ticks
stop_sc
if [ "$st" -ne 0 ]; then
    fail "quiet: exit status $st after SIGTERM (want 0), $stop_ms ms; stderr: $(head -c 300 "$d/err")"
elif [ "$stop_ms" -ge 1000 ]; then
    fail "quiet: smtpclass -F took $stop_ms ms to stop after SIGTERM (want < 1000)"
elif [ -s "$d/out" ]; then
    fail "quiet: -F printed lines that were there before it started: $(head -c 200 "$d/out")"
else
    ok "quiet: smtpclass -F on a quiet file stopped $stop_ms ms after SIGTERM, status 0"
fi

# ---------------------------------------------------------------------------
# (c) Latency (RC-52): with smtpclass -F on a quiet file, one appended
# bounce line must come out tagged soon, not sit in a stdio buffer. Five
# appends; the output is polled every 10 ms (bash's clock: no fork), so
# the figures are the program's, not the poll's.

# Microseconds since the epoch, from bash itself.
now_us() { local t=$EPOCHREALTIME; echo "${t/[.,]/}"; }

d=$scratch/latency
mkdir "$d" || exit 2
: > "$d/mail.log"
start_sc "$d/out" "$d/err" -F --stats=none "$d/mail.log"
if ! wait_open "$pid" "$d/mail.log" 5000; then
    fail "latency: smtpclass did not open the file within 5 s"
    stop_sc
else
    lat=()
    for i in 1 2 3 4 5; do
        sleep 0.3 # let smtpclass go idle (blocked in its wait) first
        t0=$(now_us)
        printf '%s seq=%d\n' "$pfx" "$i" >> "$d/mail.log"
        ms=-1
        while :; do
            t1=$(now_us)
            if grep -qF -- "seq=$i"$'\t' "$d/out"; then
                ms=$(((t1 - t0) / 1000))
                break
            fi
            [ $((t1 - t0)) -ge 3000000 ] && break
            sleep 0.01
        done
        lat+=("$ms")
    done
    stop_sc
    figs=${lat[*]}
    if [[ " $figs " == *" -1 "* ]]; then
        fail "latency: a tagged line did not come out within 3 s of its append (ms, -1 = never: $figs); want median < 200 ms"
    else
        median=$(printf '%s\n' "${lat[@]}" | sort -n | sed -n 3p)
        if [ "$median" -lt 200 ]; then
            ok "latency: append -> tagged line on the output took $figs ms, median $median ms (want median < 200 ms)"
        else
            fail "latency: append -> tagged line on the output took $figs ms, median $median ms (want median < 200 ms)"
        fi
    fi
    [ "$st" -eq 0 ] || fail "latency: exit status $st after SIGTERM (want 0)"
fi

# ---------------------------------------------------------------------------
# (d) Pipeline mode across a rotation (RC-56): tail -n0 -F FILE |
# smtpclass --stats=json while the log is rotated logrotate-style (mv,
# create, the writer reopens). A named pipe stands for the '|' so both
# pids are known. GNU tail -F may take up to ~1 s to notice the rotation:
# the old file is drained (seen on the output) before the mv, and the
# lines after it are written slowly. Then tail is killed: smtpclass sees
# EOF, exits 0, and its lines_read must equal the lines written.

d=$scratch/tail_F
mkdir "$d" || exit 2
: > "$d/mail.log"
mkfifo "$d/pipe" || exit 2
tail -n0 -F "$d/mail.log" > "$d/pipe" 2> "$d/tail.err" 3>&- &
tpid=$!
bgpids="$bgpids $tpid"
# Not start_sc: a background job's stdin would be /dev/null.
"$sc" --stats=json < "$d/pipe" > "$d/out" 2> "$d/err" 3>&- &
pid=$!
bgpids="$bgpids $pid"
seq_n=0
exec 3>> "$d/mail.log"
if ! wait_open "$tpid" "$d/mail.log" 5000; then
    fail "tail -F: tail did not open the file within 5 s: $(head -c 300 "$d/tail.err")"
else
    sleep 0.3 # tail sets up its inotify watches after the open
    put 30
    wait_for "$d/out" "seq=$seq_n"$'\t' 5000 # tail drained the old file
    mv "$d/mail.log" "$d/mail.log.1"
    : > "$d/mail.log"
    exec 3>> "$d/mail.log"
    for ((j = 0; j < 15; j++)); do # slowly, about 1.5 s
        seq_n=$((seq_n + 1))
        printf '%s seq=%d\n' "$pfx" "$seq_n" >&3
        sleep 0.1
    done
    put 30
    wait_for "$d/out" "seq=$seq_n"$'\t' 5000
fi
exec 3>&-
kill -TERM "$tpid" 2> /dev/null
wait "$tpid" 2> /dev/null
if wait_exit "$pid" 5000; then
    wait "$pid"
    st=$?
else
    kill -9 "$pid" 2> /dev/null
    wait "$pid" 2> /dev/null
    st=999
fi
seqs_of "$d/out" > "$scratch/got.seq"
seq 1 "$seq_n" > "$scratch/want.seq"
nin=$seq_n
nout=$(wc -l < "$scratch/got.seq")
nread=$(sed -n 's/^ *"lines_read": *\([0-9]*\).*/\1/p' "$d/err")
printf '%d lines in / %s lines out across the tail -F rotation\n' "$nin" "${nread:-?}"
if [ "$st" -ne 0 ]; then
    fail "tail -F: smtpclass exit status $st at EOF (want 0); stderr: $(head -c 300 "$d/err")"
elif [ "$nread" != "$nin" ]; then
    fail "tail -F: $nin lines written, lines_read is '$nread' ($nout tagged lines out)"
elif ! cmp -s "$scratch/want.seq" "$scratch/got.seq"; then
    fail "tail -F: $nin lines written / $nout out, not the same lines in order: $(cmp "$scratch/want.seq" "$scratch/got.seq" 2>&1 | head -1)"
else
    ok "tail -F: $nin lines in / $nread lines read, $nout tagged out in order across a mv + create rotation; exit 0 at EOF"
fi

# ---------------------------------------------------------------------------

printf 'follow: %d lines written / %d lines read across %d rotations\n' \
    "$total_in" "$total_out" "$total_rot"
printf '%d checks, %d failed\n' "$checks" "$failed"
[ "$failed" -eq 0 ]
