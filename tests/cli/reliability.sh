#!/usr/bin/env bash
# Hostile input (RELIABILITY.md Part B): one check per catalogue case that is
# not covered elsewhere (formats.sh, archives.sh, the golden cases, the unit
# tests, the fuzz harnesses; follow mode, signals, the HTTP endpoint, the
# stats file, label cardinality and -j have tests of their own). Each check
# is named after its case, e.g. "RC-21 gzip bomb".
#
# On every input: lines out == lines in, the output with the tags removed
# is the input byte for byte, and the counters reconcile (lines_read ==
# lines_with_outcome + lines_without_outcome == the input's lines,
# bytes_read == its size). Prints figures: time and peak RSS per hostile
# input, the worst cost of one hostile line, the peak RSS over them all.
#
# usage: reliability.sh SMTPCLASS_BINARY
#
# Prints one line per check: ok, FAIL or skip. Exits 1 if a check failed, 2 on a
# usage error or a missing tool. Needs jq, perl, cmp, timeout, mkfifo,
# gzip, zstd; uses /usr/bin/time, python3, setpriv and prlimit when there.

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
for tool in jq perl cmp timeout mkfifo gzip zstd truncate; do
    command -v "$tool" > /dev/null || { echo "$0: missing tool: $tool" >&2; exit 2; }
done

# A sanitizer build is slow and memory-hungry by design: it gets smaller
# inputs (the same cases) and no memory ceilings. SMTPCLASS_QUICK=1 forces
# this, =0 turns it off.
is_asan=0
if nm -D "$bin" 2> /dev/null | grep -q __asan_init || ldd "$bin" 2> /dev/null | grep -q libasan; then
    is_asan=1
fi
quick=${SMTPCLASS_QUICK:-$is_asan}

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/smtpclass-reliability.XXXXXX") || exit 2
bgpids=""
cleanup() {
    for p in $bgpids; do kill -9 "$p" 2> /dev/null; done
    chmod -R u+rwX "$scratch" 2> /dev/null
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
sample=$top/tests/data/sample-mail.log

failed=0
checks=0
ok() { checks=$((checks + 1)); printf 'ok    %s\n' "$*"; }
fail() { checks=$((checks + 1)); failed=$((failed + 1)); printf 'FAIL  %s\n' "$*"; }
skip() { printf 'skip  %s\n' "$*"; }
# A plain check from a status: ok when 0, FAIL otherwise.
check() { # STATUS NAME...
    local st=$1
    shift
    if [ "$st" -eq 0 ]; then ok "$*"; else fail "$*"; fi
}
figure() { printf '      figure: %s\n' "$*"; }

now_ms() { date +%s%3N; }
lap_t=$(now_ms)
lap() { local t; t=$(now_ms); printf '      (%s...: %d ms)\n' "$1" $((t - lap_t)); lap_t=$t; }

# count_lines, strip_tags
. "$here/lib.sh"

# Run a command (redirected by the caller) and measure it: sets m_rc,
# m_ms (wall time) and m_kib (peak RSS), and keeps the largest RSS seen in
# peak_kib / peak_what. GNU time when installed, else /proc polling.
peak_kib=0
peak_what=
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true > /dev/null 2>&1; then
    have_gnu_time=1
else
    have_gnu_time=0
fi
measure() { # LABEL CMD...
    local label=$1 t0 pid v
    shift
    t0=$(now_ms)
    if [ "$have_gnu_time" -eq 1 ]; then
        /usr/bin/time -o "$scratch/time.out" -f '%M' "$@"
        m_rc=$?
        m_kib=$(tail -1 "$scratch/time.out")
    else
        "$@" &
        pid=$!
        m_kib=0
        while kill -0 "$pid" 2> /dev/null; do
            v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2> /dev/null)
            [ -n "$v" ] && m_kib=$v
            sleep 0.01
        done
        wait "$pid"
        m_rc=$?
    fi
    m_ms=$(($(now_ms) - t0))
    case $m_kib in '' | *[!0-9]*) m_kib=0 ;; esac
    if [ "$m_kib" -gt "$peak_kib" ]; then
        peak_kib=$m_kib
        peak_what=$label
    fi
}

# Run CMD with stdout into a FIFO read by the shell command CHECK, without
# storing the output (gigabytes). Sets m_* as measure does, and same to
# what CHECK printed.
stream_check() { # LABEL CHECK CMD...
    local label=$1 check=$2 cpid
    shift 2
    rm -f "$scratch/stream.fifo" "$scratch/stream.res"
    mkfifo "$scratch/stream.fifo"
    (bash -c "$check" < "$scratch/stream.fifo" > "$scratch/stream.res" 2>&1) &
    cpid=$!
    measure "$label" "$@" > "$scratch/stream.fifo"
    wait "$cpid"
    same=$(cat "$scratch/stream.res")
}
# The same, comparing with what the shell command REF prints: same=0 when
# the streams are equal.
stream_cmp() { # LABEL REF CMD...
    local label=$1 ref=$2
    shift 2
    stream_check "$label" "$ref | cmp -s - /dev/fd/3 3<&0; echo \$?" "$@"
}
# Perl: "LENGTH HEX" of a stream, HEX the bytes that are not NUL.
nul_summary='my ($n, $nz) = (0, ""); while ((my $r = sysread(STDIN, my $b, 1 << 20)) > 0) { $n += $r; $b =~ tr/\0//d; $nz .= $b; } print "$n ", unpack("H*", $nz), "\n";'


# The counters of one run: sets c_read c_with c_without c_bytes c_overlong
# c_limit from --stats=json on stdout (-c).
read_counters() { # FILE
    local vals
    vals=$(jq -r '[.totals.lines_read, .totals.lines_with_outcome,
                   .totals.lines_without_outcome, .totals.bytes_read,
                   .totals.lines_overlong, .totals.lines_regex_limit] | @tsv' \
        < "$1" 2> /dev/null) || return 1
    read -r c_read c_with c_without c_bytes c_overlong c_limit <<< "$vals"
    [ -n "$c_read" ]
}

# The invariants on one input file: tagged output = input once the tags
# are removed, as many lines out as in; the counters reconcile. Extra
# arguments go to smtpclass (e.g. --rules-add).
invariants() { # LABEL FILE [ARGS...]
    local label=$1 f=$2 lin lout size
    shift 2
    measure "$label" timeout 120 "$sc" --stats=none "$@" "$f" \
        > "$scratch/inv.out" 2> "$scratch/inv.err"
    cp "$scratch/inv.err" "$scratch/inv.err.tagged"
    if [ "$m_rc" -ne 0 ] && [ "$m_rc" -ne 1 ]; then
        fail "$label: exit status $m_rc; stderr: $(head -c 300 "$scratch/inv.err")"
        return 1
    fi
    lin=$(count_lines "$f")
    lout=$(count_lines "$scratch/inv.out")
    if [ "$lin" -ne "$lout" ]; then
        fail "$label: $lout lines out for $lin lines in"
        return 1
    fi
    if ! strip_tags < "$scratch/inv.out" | cmp -s - "$f"; then
        fail "$label: output without the tags differs from the input ($(strip_tags < "$scratch/inv.out" | cmp - "$f" 2>&1 | head -1))"
        return 1
    fi
    local ms=$m_ms kib=$m_kib
    timeout 120 "$sc" -c --stats=json "$@" "$f" > "$scratch/inv.json" 2> "$scratch/inv.err"
    if ! read_counters "$scratch/inv.json"; then
        fail "$label: no JSON counters: $(head -c 300 "$scratch/inv.json") $(head -c 300 "$scratch/inv.err")"
        return 1
    fi
    size=$(wc -c < "$f")
    if [ "$c_read" != "$lin" ] || [ "$c_read" != "$((c_with + c_without))" ] ||
        [ "$c_bytes" != "$size" ]; then
        fail "$label: counters do not reconcile: lines_read=$c_read (input $lin), with=$c_with + without=$c_without, bytes_read=$c_bytes (input $size)"
        return 1
    fi
    ok "$label: $lin lines in and out, byte-exact, counters reconcile ($m_ms ms, $kib KiB peak)"
    m_ms=$ms
    m_kib=$kib
    return 0
}

# ---------------------------------------------------------------------------
# Inputs

pfx='Mar  3 08:09:02 mx1 postfix/smtp[2201]: 7C3D21C0B5: to=<j@example.net>, relay=mx.example.net[198.51.100.26]:25, delay=1.2, delays=0.1/0/0.5/0.6, dsn=5.1.1, status=bounced (host mx.example.net[198.51.100.26] said: 550 5.1.1 <j@example.net>: no such user'
bounce_line="$pfx (in reply to RCPT TO command))"

# A mix of everything the line framing must get right: samples, CRLF, lone
# CR, NUL, invalid UTF-8, a 100 KB line (past the 64 KiB classify window)
# with a code at its start, and a final line without '\n'.
mix=$scratch/in/mix.log
{
    cat "$sample"
    printf '%s\r\n' "$bounce_line"
    printf 'lone\rcarriage return 550 5.1.1 x\n\r\r\n'
    printf 'a\000b 550 5.1.1 x\n\377\376 invalid \300\257 utf-8 550 5.7.1\n'
    printf '%s ' "$pfx"
    head -c 100000 /dev/zero | tr '\0' 'y'
    printf ')\n'
    cat "$sample"
    printf '%s' "$bounce_line"
} > "$mix"

# ---------------------------------------------------------------------------
# RC-01 a 10 MB line without a newline; RC-13 10^6 empty lines and
# whitespace-only lines: the invariants, time and memory.

f=$scratch/in/line-10mb.log
head -c 10000000 /dev/urandom | tr -d '\n' > "$f"
if invariants "RC-01 10 MB line without newline" "$f"; then
    figure "RC-01 10 MB line: $m_ms ms, peak RSS $m_kib KiB"
    [ "$c_overlong" = 1 ] && ok "RC-01 the 10 MB line is counted in lines_overlong" ||
        fail "RC-01 lines_overlong=$c_overlong for a 10 MB line (want 1)"
fi

f=$scratch/in/empty-1e6.log
head -c 1000000 /dev/zero | tr '\0' '\n' > "$f"
if invariants "RC-13 10^6 empty lines" "$f"; then
    figure "RC-13 10^6 empty lines: $m_ms ms, peak RSS $m_kib KiB"
fi
f=$scratch/in/blank.log
for i in $(seq 1 2000); do printf ' \n\t\n \t \n\n'; done > "$f"
invariants "RC-13 whitespace-only lines" "$f"

lap "RC-01"
# ---------------------------------------------------------------------------
# RC-05 chunk-boundary invariance: the same input through a pipe written in
# pieces of 1, 7, 4096 and 65536 bytes gives the same output, byte for
# byte, as the file read directly; gzip and zstd too (member and frame
# boundaries anywhere), a gzip of three members included.

invariants "RC-05/RC-54 mixed hostile input" "$mix"
timeout 60 "$sc" --stats=json "$mix" > "$scratch/ref.out" 2> "$scratch/ref.err"
timeout 60 "$sc" -c --stats=json "$mix" > "$scratch/ref.json" 2> /dev/null
split -n 3 "$mix" "$scratch/part."
for p in "$scratch"/part.*; do gzip -c "$p"; done > "$scratch/in/mix-3members.gz"
gzip -c "$mix" > "$scratch/in/mix.gz"
zstd -q -c "$mix" > "$scratch/in/mix.zst"
for src in mix.log mix.gz mix-3members.gz mix.zst; do
    case $src in
    mix.log) file=$mix ;;
    *) file=$scratch/in/$src ;;
    esac
    for bs in 1 7 4096 65536; do
        # 1-byte writes of 300 KB are slow: the compressed files only.
        if [ "$bs" -eq 1 ] && [ "$src" = mix.log ]; then
            head -c 20000 "$mix" > "$scratch/head.log"
            timeout 120 "$sc" --stats=json "$scratch/head.log" > "$scratch/ref1.out" 2> /dev/null
            dd if="$scratch/head.log" bs=1 2> /dev/null |
                timeout 120 "$sc" --stats=json - > "$scratch/chunk.out" 2> "$scratch/chunk.err"
            if cmp -s "$scratch/chunk.out" "$scratch/ref1.out"; then
                ok "RC-05 $src (first 20 KB) written 1 byte at a time: same output as the file"
            else
                fail "RC-05 $src (first 20 KB) written 1 byte at a time: output differs ($(cmp "$scratch/chunk.out" "$scratch/ref1.out" 2>&1 | head -1))"
            fi
            continue
        fi
        dd if="$file" bs="$bs" 2> /dev/null |
            timeout 120 "$sc" --stats=json - > "$scratch/chunk.out" 2> "$scratch/chunk.err"
        st=$?
        dd if="$file" bs="$bs" 2> /dev/null |
            timeout 120 "$sc" -c --stats=json - > "$scratch/chunk.json" 2> /dev/null
        if [ "$st" -ne 0 ]; then
            fail "RC-05 $src in writes of $bs bytes: exit $st: $(head -c 300 "$scratch/chunk.err")"
        elif ! cmp -s "$scratch/chunk.out" "$scratch/ref.out"; then
            fail "RC-05 $src in writes of $bs bytes: tagged output differs from the file's ($(cmp "$scratch/chunk.out" "$scratch/ref.out" 2>&1 | head -1))"
        elif ! cmp -s "$scratch/chunk.json" "$scratch/ref.json"; then
            fail "RC-05 $src in writes of $bs bytes: counters differ from the file's"
        else
            ok "RC-05 $src in writes of $bs bytes: same output and counters as the file"
        fi
    done
done

lap "RC-05"
# ---------------------------------------------------------------------------
# RC-08 CRLF: a rule anchored with '$' classifies the CRLF line as the LF
# one (the '\r' is stripped for matching only; pass-through keeps it).

mkdir -p "$scratch/rules-anchor"
cat > "$scratch/rules-anchor/anchor.rules" << 'EOF'
event anchored_probe
    mta      generic
    need     probe
    match    ^anchored probe (?<reply>550)$
    event    rejected
    example  anchored probe 550
EOF
printf 'anchored probe 550\n' > "$scratch/in/lf.log"
printf 'anchored probe 550\r\n' > "$scratch/in/crlf.log"
timeout 20 "$sc" --rules-add="$scratch/rules-anchor" -c --stats=json "$scratch/in/lf.log" > "$scratch/lf.json" 2> "$scratch/lf.err"
timeout 20 "$sc" --rules-add="$scratch/rules-anchor" -c --stats=json "$scratch/in/crlf.log" > "$scratch/crlf.json" 2> "$scratch/crlf.err"
if [ "$(jq -c .outcomes < "$scratch/lf.json" 2> /dev/null)" = "$(jq -c .outcomes < "$scratch/crlf.json" 2> /dev/null)" ] &&
    [ "$(jq '.totals.lines_with_outcome' < "$scratch/crlf.json" 2> /dev/null)" = 1 ]; then
    ok "RC-08 a '\$'-anchored rule classifies a CRLF line like the LF line"
else
    fail "RC-08 '\$'-anchored rule: LF $(jq -c .outcomes < "$scratch/lf.json" 2>&1) vs CRLF $(jq -c .outcomes < "$scratch/crlf.json" 2>&1) $(head -c 200 "$scratch/crlf.err")"
fi
invariants "RC-08 CRLF line with a user rule" "$scratch/in/crlf.log" --rules-add="$scratch/rules-anchor" > /dev/null ||
    fail "RC-08 CRLF line with a user rule: pass-through"

lap "RC-08"
# ---------------------------------------------------------------------------
# RC-07 a 100 MB run of NULs between two lines; RC-21 decompression bombs
# (1 GiB of zeros in 4.7 MB of gzip and 36 KB of zstd); RC-02 a 2 GiB+1
# line (sparse file): streamed, memory flat.

# No line has an outcome, so the output is the input, byte for byte.
f=$scratch/in/nul-100mb.log
nuls=100000000
[ "$quick" -eq 1 ] && nuls=10000000
{ printf 'before\n'; head -c "$nuls" /dev/zero; printf '\nafter\n'; } > "$f"
stream_cmp "RC-07 100 MB of NULs" "cat '$f'" timeout 120 "$sc" --stats=none "$f"
if [ "$m_rc" -ne 1 ] || [ "$same" -ne 0 ]; then
    fail "RC-07 100 MB of NULs: exit $m_rc (want 1), output equal to the input: $same"
else
    rc07_ms=$m_ms rc07_kib=$m_kib
    timeout 120 "$sc" -c --stats=json "$f" > "$scratch/nul.json" 2> /dev/null
    if read_counters "$scratch/nul.json" && [ "$c_read" = 3 ] && [ "$c_overlong" = 1 ] &&
        [ "$c_bytes" = "$(wc -c < "$f")" ]; then
        ok "RC-07 100 MB of NULs: byte-exact, 3 lines, one overlong, bytes reconcile ($rc07_ms ms, $rc07_kib KiB peak)"
    else
        fail "RC-07 100 MB of NULs: counters $(jq -c .totals < "$scratch/nul.json" 2>&1)"
    fi
fi

members=16
[ "$quick" -eq 1 ] && members=1
gib=$((members * 67108864))
head -c 67108864 /dev/zero | gzip -1 > "$scratch/m.gz"
head -c 67108864 /dev/zero | zstd -q -1 > "$scratch/m.zst"
for i in $(seq 1 "$members"); do cat "$scratch/m.gz"; done > "$scratch/in/bomb.gz"
for i in $(seq 1 "$members"); do cat "$scratch/m.zst"; done > "$scratch/in/bomb.zst"
for k in gz zst; do
    f=$scratch/in/bomb.$k
    stream_check "RC-21 $k bomb" "perl -e '$nul_summary'" timeout 120 "$sc" --stats=none "$f"
    if [ "$m_rc" -ne 1 ] || [ "$same" != "$gib " ]; then
        fail "RC-21 $k bomb ($(wc -c < "$f") bytes → 1 GiB): exit $m_rc (want 1), output '$same' (want '$gib ': length, non-NUL bytes)"
        continue
    fi
    ms=$m_ms kib=$m_kib
    measure "RC-21 $k bomb -c" timeout 120 "$sc" -c --stats=json "$f" > "$scratch/bomb.json" 2> /dev/null
    if read_counters "$scratch/bomb.json" && [ "$c_read" = 1 ] && [ "$c_bytes" = "$gib" ]; then
        ok "RC-21 $k bomb: $(wc -c < "$f") bytes → $gib streamed, 1 line, bytes_read=$gib ($ms ms, $kib KiB peak; -c: $m_ms ms, $m_kib KiB)"
    else
        fail "RC-21 $k bomb: counters $(jq -c .totals < "$scratch/bomb.json" 2>&1)"
    fi
    if [ "$quick" -eq 0 ]; then
        [ "$kib" -lt 65536 ] && [ "$m_kib" -lt 65536 ] && ok "RC-21 $k bomb: peak RSS under 64 MiB" ||
            fail "RC-21 $k bomb: peak RSS $kib / $m_kib KiB (want < 64 MiB)"
    fi
done

f=$scratch/in/sparse-2gib.log
if [ "$quick" -eq 1 ]; then
    skip "RC-02 2 GiB line (quick mode)"
else
truncate -s 2147483648 "$f" && printf 'x\n' >> "$f"
# Cheaper than comparing 2 GiB: the length (no 32-bit size anywhere).
stream_check "RC-02 2 GiB line" "wc -c" timeout 300 "$sc" --stats=none "$f"
if [ "$m_rc" -eq 1 ] && [ "$same" = 2147483650 ]; then
    ok "RC-02 a 2 GiB + 2 byte line passes through: 2147483650 bytes out ($m_ms ms, $m_kib KiB peak)"
else
    fail "RC-02 2 GiB line: exit $m_rc (want 1), $same bytes out (want 2147483650)"
fi
rm -f "$f"
fi

lap "RC-07"
# ---------------------------------------------------------------------------
# RC-15 10^7 short lines: time, throughput, flat memory; RC-70 the counts
# print as exact integers (not 1e+07).

# "550" alone is a reply line; "550a" is not: no line has an outcome.
f=$scratch/in/short-1e7.log
nshort=10000000
[ "$quick" -eq 1 ] && nshort=1000000
seq -f '%.0fa' 1 "$nshort" > "$f"
stream_cmp "RC-15 10^7 short lines" "cat '$f'" timeout 300 "$sc" --stats=none "$f"
if [ "$m_rc" -eq 1 ] && [ "$same" -eq 0 ]; then
    size=$(wc -c < "$f")
    ok "RC-15 10^7 short lines pass through unchanged ($m_ms ms, $m_kib KiB peak)"
    figure "RC-15 $nshort lines ($size bytes): $m_ms ms = $((nshort * 1000 / (m_ms + 1))) lines/s, $((size / 1000 / (m_ms + 1))) MB/s, peak RSS $m_kib KiB (tagged, into a pipe)"
else
    fail "RC-15 10^7 short lines: exit $m_rc (want 1), output equal: $same"
fi
timeout 300 "$sc" -c --stats=json "$f" > "$scratch/1e7.json" 2> /dev/null
timeout 300 "$sc" -c --stats=prometheus "$f" > "$scratch/1e7.prom" 2> /dev/null
if read_counters "$scratch/1e7.json" && [ "$c_read" = "$nshort" ] &&
    grep -q "\"lines_read\": $nshort[,}]" "$scratch/1e7.json" &&
    grep -qx "smtpclass_lines_read_total $nshort" "$scratch/1e7.prom"; then
    ok "RC-70 $nshort lines are counted and printed as the integer $nshort (JSON and Prometheus)"
else
    fail "RC-70 lines_read for 10^7 lines: $(grep lines_read "$scratch/1e7.json" "$scratch/1e7.prom" | head -3)"
fi
rm -f "$f"

lap "RC-15"
# ---------------------------------------------------------------------------
# RC-17 corrupt gzip: at least the lines zcat gets before the damage;
# RC-20 gzip on stdin; RC-22 zstd with skippable frames (pzstd writes one
# first) and one between frames; RC-23 a zstd window over the decoder's
# limit.

seq 1 200000 | sed 's/^/line 550 5.1.1 user unknown /' > "$scratch/in/big.log"
gzip -c "$scratch/in/big.log" > "$scratch/in/big.gz"
size=$(wc -c < "$scratch/in/big.gz")
cp "$scratch/in/big.gz" "$scratch/in/bad.gz"
printf '\377\377\377\377' | dd of="$scratch/in/bad.gz" bs=1 seek=$((size / 2)) conv=notrunc 2> /dev/null
want=$(gzip -dc "$scratch/in/bad.gz" 2> /dev/null | wc -l)
got=$(timeout 60 "$sc" --stats=none "$scratch/in/bad.gz" 2> /dev/null | wc -l)
if [ "$got" -ge "$want" ] && [ "$want" -gt 1000 ]; then
    ok "RC-17 corrupt gzip: $got lines out, zcat decodes $want before the damage"
else
    fail "RC-17 corrupt gzip: $got lines out, but zcat decodes $want complete lines before the damage"
fi

timeout 60 "$sc" --stats=json "$sample" > "$scratch/plain.out" 2>&1
gzip -c "$sample" | timeout 60 "$sc" --stats=json - > "$scratch/gzstdin.out" 2>&1
cmp -s "$scratch/plain.out" "$scratch/gzstdin.out" && ok "RC-20 gzip on stdin: same output and counters as the plain file" ||
    fail "RC-20 gzip on stdin differs from the plain file"

timeout 60 "$sc" -c --stats=json "$scratch/in/big.log" > "$scratch/big.json" 2> /dev/null
if command -v pzstd > /dev/null; then
    pzstd -q -p 2 "$scratch/in/big.log" -o "$scratch/in/big.pzst" 2> /dev/null
    timeout 60 "$sc" -c --stats=json "$scratch/in/big.pzst" > "$scratch/pz.json" 2> "$scratch/pz.err"
    cmp -s "$scratch/pz.json" "$scratch/big.json" && ok "RC-22 pzstd file (starts with a skippable frame): same counters as the plain file" ||
        fail "RC-22 pzstd file: counters differ from the plain file: $(jq -c .totals < "$scratch/pz.json" 2>&1 | head -c 200) $(head -c 200 "$scratch/pz.err")"
else
    skip "RC-22 pzstd not installed"
fi
head -c 100000 "$scratch/in/big.log" | zstd -q -c > "$scratch/a.zst"
tail -c +100001 "$scratch/in/big.log" | zstd -q -c > "$scratch/b.zst"
{ cat "$scratch/a.zst"; printf '\x5a\x2a\x4d\x18\x05\x00\x00\x00hello'; cat "$scratch/b.zst"; } > "$scratch/in/skip.zst"
timeout 60 "$sc" -c --stats=json "$scratch/in/skip.zst" > "$scratch/skip.json" 2> "$scratch/skip.err"
cmp -s "$scratch/skip.json" "$scratch/big.json" && ok "RC-22 a skippable frame between zstd frames is ignored" ||
    fail "RC-22 skippable frame between frames: $(jq -c .totals < "$scratch/skip.json" 2>&1 | head -c 200) $(head -c 200 "$scratch/skip.err")"

# A frame that declares a 2 GiB window (compressed from a pipe, so zstd
# cannot shrink the window to the input size; the decoder allows 128 MiB).
cat "$sample" | zstd -q --long=31 -c > "$scratch/in/long31.zst" 2> /dev/null
measure "RC-23 zstd --long=31" timeout 60 "$sc" -c --stats=none "$scratch/in/long31.zst" > /dev/null 2> "$scratch/l31.err"
if [ "$m_rc" -eq 2 ] && [ "$(cat "$scratch/l31.err")" = "smtpclass: $scratch/in/long31.zst: zstd window too large (over 128 MiB): Frame requires too much memory for decoding" ] &&
    [ "$m_kib" -lt 262144 ]; then
    ok "RC-23 zstd window of 2 GiB: exit 2, one message, $m_kib KiB peak"
else
    fail "RC-23 zstd window of 2 GiB: exit $m_rc, $m_kib KiB, $(head -c 200 "$scratch/l31.err")"
fi

lap "RC-17"
# ---------------------------------------------------------------------------
# RC-24 a directory, a missing file and an unreadable file among readable
# ones: one message each, the readable ones processed, exit 2.

mkdir "$scratch/in/adir"
cp "$sample" "$scratch/in/good1.log"
cp "$sample" "$scratch/in/good2.log"
cp "$sample" "$scratch/in/secret.log"
chmod 000 "$scratch/in/secret.log"
n=$(count_lines "$sample")
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    # Root reads anything: drop to nobody (RELIABILITY.md C5).
    if command -v setpriv > /dev/null &&
        setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$bin" 2> /dev/null; then
        chmod 755 "$scratch" "$scratch/in" "$scratch/bin"
        chmod 644 "$scratch/in/good1.log" "$scratch/in/good2.log"
        as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups)
    fi
fi
if [ "$(id -u)" -eq 0 ] && [ ${#as_user[@]} -eq 0 ]; then
    skip "RC-24 (running as root without setpriv: permissions are not enforced)"
else
    (cd "$scratch/in" && timeout 20 "${as_user[@]}" "$sc" -c --stats=json good1.log adir missing.log secret.log good2.log) \
        > "$scratch/rc24.json" 2> "$scratch/rc24.err"
    st=$?
    want_err=$(printf '%s\n' "smtpclass: adir: Is a directory" \
        "smtpclass: missing.log: No such file or directory" \
        "smtpclass: secret.log: Permission denied")
    if [ "$st" -eq 2 ] && [ "$(cat "$scratch/rc24.err")" = "$want_err" ] &&
        [ "$(jq .totals.lines_read < "$scratch/rc24.json" 2> /dev/null)" = $((2 * n)) ]; then
        ok "RC-24 directory, missing and unreadable inputs: one message each, both readable files counted ($((2 * n)) lines), exit 2"
    else
        fail "RC-24 bad inputs among good ones: exit $st, lines_read $(jq .totals.lines_read < "$scratch/rc24.json" 2>&1), stderr: $(head -c 400 "$scratch/rc24.err")"
    fi
fi
chmod 644 "$scratch/in/secret.log"

lap "RC-24"
# ---------------------------------------------------------------------------
# RC-25 the input file is truncated to 0 while smtpclass reads it (never
# mmap'd: no SIGBUS); what came out is a prefix of the full output.

wait_blocked() { # PID MS: until the process sleeps
    local deadline=$(($(now_ms) + $2)) st
    while [ "$(now_ms)" -lt "$deadline" ]; do
        st=$(awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null)
        [ "$st" = "S" ] && return 0
        sleep 0.02
    done
    return 1
}
f=$scratch/in/shrink.log
for i in $(seq 1 150); do cat "$scratch/in/big.log"; done | head -c 200000000 > "$f"
timeout 120 "$sc" --stats=none "$f" | head -c 50000000 > "$scratch/full.out"
for jobs in "" "-j1" "-j2"; do
    cp "$f" "$scratch/in/shrinking.log"
    rm -f "$scratch/trunc.fifo"
    mkfifo "$scratch/trunc.fifo"
    timeout 120 "$sc" $jobs --stats=json "$scratch/in/shrinking.log" > "$scratch/trunc.fifo" 2> "$scratch/trunc.err" &
    pid=$!
    bgpids="$bgpids $pid"
    exec 5< "$scratch/trunc.fifo"
    head -c 300000 <&5 > "$scratch/trunc1.out"
    wait_blocked "$pid" 5000
    truncate -s 0 "$scratch/in/shrinking.log"
    cat <&5 > "$scratch/trunc2.out"
    exec 5<&-
    wait "$pid"
    st=$?
    # The complete lines are the full output's first lines; the line cut
    # by the truncation comes out as it was read (and may get tags).
    cat "$scratch/trunc1.out" "$scratch/trunc2.out" > "$scratch/trunc.out"
    nl=$(wc -l < "$scratch/trunc.out")
    label="RC-25 input truncated while being read${jobs:+ ($jobs)}"
    if [ "$st" -ne 0 ] && [ "$st" -ne 1 ] && [ "$st" -ne 2 ]; then
        fail "$label: exit $st (a signal?); stderr: $(head -c 300 "$scratch/trunc.err")"
    elif [ "$nl" -ge "$(wc -l < "$scratch/full.out")" ]; then
        fail "$label: it read everything before the truncation ($nl lines out); the check did not bite"
    else
        ok "$label: exit $st, no signal, $nl lines out"
        # With -j N too: a later part read before the cut is dropped, its
        # output and its counts (parallel.c, pfile.cut_at).
        lout=$(count_lines "$scratch/trunc.out")
        jq -e ".totals.lines_read == $lout" < "$scratch/trunc.err" > /dev/null 2>&1
        st=$?
        [ "$st" -eq 0 ] && ok "$label: lines_read agrees with the $lout lines out" ||
            fail "$label: lines_read $(jq .totals.lines_read < "$scratch/trunc.err" 2>&1) for $lout lines out"
        cmp -s <(head -n "$nl" "$scratch/trunc.out") <(head -n "$nl" "$scratch/full.out")
        st=$?
        [ "$st" -eq 0 ] && ok "$label: the complete lines are the full output's first lines" ||
            fail "$label: the complete lines are not the full output's first lines (a later part read before the cut came out)"
    fi
done
rm -f "$f" "$scratch/in/shrinking.log" "$scratch/full.out"

lap "RC-25"
# ---------------------------------------------------------------------------
# RC-26 standard descriptors closed at start.

cp "$sample" "$scratch/in/keep.log"
timeout 20 "$sc" "$scratch/in/keep.log" >&- 2> "$scratch/c1.err"
st=$?
if [ "$st" -eq 2 ] && grep -qx 'smtpclass: write error: Bad file descriptor' "$scratch/c1.err" &&
    cmp -s "$scratch/in/keep.log" "$sample"; then
    ok "RC-26 stdout closed: exit 2, 'write error: Bad file descriptor', the input (opened as fd 1) untouched"
else
    fail "RC-26 stdout closed: exit $st, stderr $(head -c 200 "$scratch/c1.err"), input unchanged: $(cmp -s "$scratch/in/keep.log" "$sample" && echo yes || echo NO)"
fi
timeout 20 "$sc" --stats=none "$scratch/in/keep.log" 2>&- > "$scratch/c2.out"
st=$?
if [ "$st" -eq 0 ] && strip_tags < "$scratch/c2.out" | cmp -s - "$sample"; then
    ok "RC-26 stderr closed: exit 0, output complete"
else
    fail "RC-26 stderr closed: exit $st"
fi
timeout 20 "$sc" --stats=none "$scratch/in/keep.log" "$scratch/in/nonexistent" 2>&- > "$scratch/c3.out"
st=$?
[ "$st" -eq 2 ] && cmp -s "$scratch/in/keep.log" "$sample" && ok "RC-26 stderr closed and a missing input: exit 2, no crash, input untouched" ||
    fail "RC-26 stderr closed and a missing input: exit $st"
timeout 20 "$sc" --stats=none <&- > /dev/null 2> "$scratch/c4.err"
st=$?
[ "$st" -eq 2 ] && grep -q '^smtpclass: (standard input): Bad file descriptor$' "$scratch/c4.err" &&
    ok "RC-26 stdin closed: exit 2, one message" || fail "RC-26 stdin closed: exit $st: $(head -c 200 "$scratch/c4.err")"

lap "RC-26"
# ---------------------------------------------------------------------------
# RC-27 the input is also the output: refused with exit 2, like GNU grep
# (without the check it would read its own output back until the disk is
# full: bounded here by a 10 MB file size limit and a 5 s timeout).

cp "$sample" "$scratch/in/self.log"
(ulimit -f 10240; timeout 5 "$sc" --stats=none < "$scratch/in/self.log" >> "$scratch/in/self.log" 2> "$scratch/self.err") 2> /dev/null
st=$?
[ "$st" -eq 2 ] && [ "$(wc -c < "$scratch/in/self.log")" -lt 1000000 ]
check $? "RC-27 input is also the output: exit $st (want 2), file grew to $(wc -c < "$scratch/in/self.log") bytes"
rm -f "$scratch/in/self.log"

lap "RC-27"
# ---------------------------------------------------------------------------
# RC-28 O_NONBLOCK pipes left by a parent, with a slow writer and a slow
# reader: nothing is lost, EAGAIN is not an error.

if command -v python3 > /dev/null; then
    cat > "$scratch/nonblock.py" << 'EOF'
import fcntl, os, subprocess, sys, threading, time
binary, path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(path, 'rb').read()
r, w = os.pipe()
outr, outw = os.pipe()
def nonblock(fd):
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)
if mode in ('stdin', 'both'):
    nonblock(r)
if mode in ('stdout', 'both'):
    nonblock(outw)
p = subprocess.Popen([binary, '--stats=none', '-'], stdin=r, stdout=outw,
                     stderr=subprocess.PIPE)
os.close(r)
os.close(outw)
out = bytearray()
def slow_reader():
    while True:
        time.sleep(0.002)
        b = os.read(outr, 16384)
        if not b:
            return
        out.extend(b)
t = threading.Thread(target=slow_reader)
t.start()
step = 4096
try:
    for i in range(0, len(data), step):
        os.write(w, data[i:i + step])
        time.sleep(0.001)
except BrokenPipeError:
    pass
try:
    os.close(w)
except OSError:
    pass
err = p.stderr.read().decode('utf-8', 'replace').strip()
rc = p.wait()
t.join()
print(rc, out.count(b'\n'), data.count(b'\n'), err.replace('\n', ' | ')[:200])
EOF
    for i in $(seq 1 30); do cat "$sample"; done > "$scratch/in/nb.log"
    for mode in stdin stdout both; do
        read -r st lout lin err <<< "$(timeout 60 python3 "$scratch/nonblock.py" "$sc" "$scratch/in/nb.log" "$mode")"
        if [ "$mode" = stdin ]; then
            [ "$st" = 0 ] && [ "$lout" = "$lin" ] && ok "RC-28 non-blocking stdin, slow writer: exit 0, $lout of $lin lines" ||
                fail "RC-28 non-blocking stdin: exit $st, $lout of $lin lines: $err"
        else
            [ "$st" = 0 ] && [ "$lout" = "$lin" ]
            check $? "RC-28 non-blocking $mode, slow reader: exit $st, $lout of $lin lines ($err)"
        fi
    done
else
    skip "RC-28 python3 not installed"
fi

lap "RC-28"
# ---------------------------------------------------------------------------
# RC-29..RC-33, RC-39..RC-41 rule-file hazards through test-rules and
# --rules-add: exit 0 or 2 (never a crash or a hang); on exit 2 every
# message names file:line, and a run writes nothing to stdout.

rule_dir() { # NAME MATCH EXAMPLE: a rules dir with one generic event rule
    local d=$scratch/rules/$1
    mkdir -p "$d"
    printf 'event probe_%s\n    mta      generic\n    match    %s\n    event    rejected\n    example  %s\n' \
        "$1" "$2" "$3" > "$d/probe.rules"
    echo "$d"
}
printf 'hello 550 world\naaaa\nx\n' > "$scratch/in/probe.log"
hazard() { # NAME WANT(0|2) DIR
    local name=$1 want=$2 d=$3 st1 st2 bad
    timeout 30 "$sc" test-rules "$d" > "$scratch/hz.out" 2> "$scratch/hz.err"
    st1=$?
    timeout 30 "$sc" --rules-add="$d" --stats=none "$scratch/in/probe.log" > "$scratch/hz.run" 2> "$scratch/hz.runerr"
    st2=$?
    bad=$(grep -v '^smtpclass: [^ ]*\.rules:[0-9][0-9]*: ' "$scratch/hz.err" | head -1)
    if [ "$st1" -gt 2 ] || [ "$st2" -gt 2 ]; then
        fail "$name: crashed or hung (test-rules exit $st1, run exit $st2)"
    elif [ "$want" -eq 2 ] && { [ "$st1" -ne 2 ] || [ "$st2" -ne 2 ] || [ -s "$scratch/hz.run" ] || [ -n "$bad" ] ||
        ! grep -q '\.rules:[0-9][0-9]*: ' "$scratch/hz.runerr"; }; then
        fail "$name: test-rules exit $st1, run exit $st2 (want 2 and 2, no output, file:line messages); $(head -c 200 "$scratch/hz.err") ${bad:+unlocated: $bad}"
    elif [ "$want" -eq 0 ] && { [ "$st1" -ne 0 ] || [ "$st2" -gt 1 ]; }; then
        fail "$name: test-rules exit $st1, run exit $st2 (want a clean load): $(head -c 200 "$scratch/hz.err") $(head -c 200 "$scratch/hz.runerr")"
    elif [ "$want" -eq 2 ]; then
        ok "$name: exit 2 ($(head -1 "$scratch/hz.err" | cut -c1-110))"
    else
        ok "$name: loads (test-rules exit $st1, run exit $st2)"
    fi
}
hazard "RC-30 unclosed group" 2 "$(rule_dir unclosed '^(a' a)"
hazard "RC-30 unterminated class" 2 "$(rule_dir class '[a-' a)"
hazard "RC-30 quantifier out of order" 2 "$(rule_dir quant 'a{2,1}' aa)"
hazard "RC-30 duplicate group names" 2 "$(rule_dir dupnames '(?<n>a)(?<n>b)' ab)"
hazard "RC-30 reference to a missing group" 2 "$(rule_dir backref '\k<x>' x)"
hazard "RC-30 lookbehind not fixed length" 2 "$(rule_dir lookbehind '(?<=a+)b' ab)"
hazard "RC-30 251 nested groups" 2 "$(rule_dir nest "$(printf '%.0s(' $(seq 251))x$(printf '%.0s)' $(seq 251))" x)"
hazard "RC-39 (*UTF) is refused (PCRE2_NEVER_UTF)" 2 "$(rule_dir utf '(*UTF)x' x)"
hazard "RC-39 \\C is refused (PCRE2_NEVER_BACKSLASH_C)" 2 "$(rule_dir bsc 'a\Cb' axb)"
hazard "RC-39 invalid UTF-8 bytes in a byte-mode pattern" 0 "$(rule_dir bytes "$(printf '\377\376') 550" "$(printf '\377\376') 550")"
hazard "RC-40 (*LIMIT_MATCH=999999999) loads" 0 "$(rule_dir limitverb '(*LIMIT_MATCH=999999999)^(a+)+$' aaaa)"
hazard "RC-40 (*NO_JIT) loads" 0 "$(rule_dir nojit '(*NO_JIT)^(a+)+$' aaaa)"
hazard "RC-40 (*CR) newline verb loads" 0 "$(rule_dir crverb '(*CR)^crverb probe$' 'crverb probe')"
hazard "RC-40 (?C1) callout loads, no callout runs" 0 "$(rule_dir callout '^callout(?C1) probe' 'callout probe')"
# RC-33: a rule that matches every line steals the built-in examples, which
# test-rules reports; a plain run warns at load with file:line.
d=$(rule_dir empty 'x*' x)
timeout 30 "$sc" test-rules "$d" > /dev/null 2> "$scratch/hz.err"
st=$?
[ "$st" -eq 2 ] && grep -q "^smtpclass: (built-in)/[a-z_]*\.rules:[0-9]*: .*example not recognised by this rule (probe_empty)" "$scratch/hz.err" &&
    ok "RC-33 a pattern matching the empty string (x*): test-rules exit 2, names the built-in examples it steals" ||
    fail "RC-33 x*: test-rules exit $st: $(head -c 200 "$scratch/hz.err")"
timeout 30 "$sc" --rules-add="$d" -c --stats=none "$scratch/in/probe.log" > /dev/null 2> "$scratch/empty.err"
grep -q "probe.rules:1: event 'probe_empty': regex can match the empty string" "$scratch/empty.err"
check $? "RC-33 --rules-add with a pattern that matches every line warns at load, with file:line ($(head -c 150 "$scratch/empty.err"))"
# The same for a reason rule without an event or class scope ("match ^"
# scoped to an event is how the built-in rules say "all of them": no
# warning for those, which the run of the built-in rules above shows).
d=$scratch/rules/empty_reason
mkdir -p "$d"
printf 'reason probe_empty_reason\n    category spam_detected\n    match    (?:spam)?\n    example  550 5.7.1 spam\n' > "$d/probe.rules"
timeout 30 "$sc" --rules-add="$d" -c --stats=none "$scratch/in/probe.log" > /dev/null 2> "$scratch/empty_reason.err"
grep -q "probe.rules:3: reason 'probe_empty_reason': regex can match the empty string" "$scratch/empty_reason.err" &&
    [ "$(grep -c . "$scratch/empty_reason.err")" -eq 1 ]
check $? "RC-33 an unscoped reason rule that matches every text warns at load, once, with file:line ($(head -c 150 "$scratch/empty_reason.err"))"
d=$(rule_dir nojit_warn '(*NO_JIT)^nojit probe$' 'nojit probe')
timeout 30 "$sc" --rules-add="$d" -c --stats=none "$scratch/in/probe.log" > /dev/null 2> "$scratch/nojit.err"
grep -q "probe.rules:3: event 'probe_nojit_warn': regex runs without the JIT" "$scratch/nojit.err"
check $? "RC-40 a (*NO_JIT) rule is announced at load ($(head -c 150 "$scratch/nojit.err"))"

# RC-31 encoding: BOM, CRLF, tabs, trailing blanks, no final newline, NUL.
d=$scratch/rules/encoding
mkdir -p "$d"
printf '\357\273\277# BOM, CRLF, tabs, trailing blanks\r\nevent\tenc_probe  \r\n\tmta\tgeneric\r\n\tmatch\t^enc probe (?<reply>550)$   \r\n\tevent\trejected\r\n\texample\tenc probe 550' > "$d/enc.rules"
hazard "RC-31 BOM, CRLF, tabs, trailing blanks, no final newline" 0 "$d"
printf 'enc probe 550\r\nenc probe 550\n' > "$scratch/in/enc.log"
timeout 20 "$sc" --rules-add="$d" -c --stats=json "$scratch/in/enc.log" > "$scratch/enc.json" 2> /dev/null
[ "$(jq '[.outcomes[] | select(.reply_code == 550 and .event == "rejected") | .count] | add' < "$scratch/enc.json" 2> /dev/null)" = 2 ] &&
    ok "RC-31 the CRLF rule file's '\$'-anchored rule classifies LF and CRLF lines" ||
    fail "RC-31 CRLF rule file: $(jq -c .outcomes < "$scratch/enc.json" 2>&1 | head -c 300)"
d=$scratch/rules/nul
mkdir -p "$d"
printf 'event nul_probe\n    mta      generic\n    match    ^nul\000probe\n    event    rejected\n    example  nul probe\n' > "$d/nul.rules"
hazard "RC-31 NUL byte in a rule file" 2 "$d"

# RC-32 rule-set level: a directory named *.rules, an empty file, a rules
# file of 20 MB, 3000 rules.
d=$scratch/rules/dir
mkdir -p "$d/sub.rules"
cp "$scratch/rules/crverb/probe.rules" "$d/"
timeout 30 "$sc" test-rules "$d" > /dev/null 2> "$scratch/hz.err"
st=$?
[ "$st" -le 2 ] && ok "RC-32 a directory named sub.rules: exit $st ($(head -1 "$scratch/hz.err" | sed 's|.*/rules/||' | cut -c1-80))" ||
    fail "RC-32 a directory named sub.rules: exit $st"
d=$scratch/rules/emptyfile
mkdir -p "$d"
: > "$d/empty.rules"
timeout 30 "$sc" test-rules "$d" > /dev/null 2> "$scratch/hz.err"
st=$?
[ "$st" -le 2 ] && ok "RC-32 an empty rules file: exit $st" || fail "RC-32 an empty rules file: exit $st"
d=$scratch/rules/huge
mkdir -p "$d"
{ cat "$scratch/rules/crverb/probe.rules"; head -c 20000000 /dev/zero | tr '\0' '#' | fold -w 100; echo; } > "$d/huge.rules"
measure "RC-32 20 MB rules file" timeout 60 "$sc" test-rules "$d" > /dev/null 2> "$scratch/hz.err"
[ "$m_rc" -le 2 ] && ok "RC-32 a 20 MB rules file (comments): exit $m_rc, $m_ms ms, $m_kib KiB peak ($(head -1 "$scratch/hz.err" | sed 's|.*/rules/||' | cut -c1-80))" ||
    fail "RC-32 a 20 MB rules file: exit $m_rc"
d=$scratch/rules/many
mkdir -p "$d"
nrules=3000
[ "$quick" -eq 1 ] && nrules=300
for i in $(seq 1 "$nrules"); do
    printf 'event many_%d\n    mta      generic\n    need     many%dprobe\n    match    ^many%dprobe (?<reply>5\\d\\d)\n    event    rejected\n    example  many%dprobe 550\n\n' "$i" "$i" "$i" "$i"
done > "$d/many.rules"
measure "RC-32 $nrules rules" timeout 120 "$sc" test-rules "$d" > /dev/null 2> "$scratch/hz.err"
[ "$m_rc" -eq 0 ] && ok "RC-32 $nrules user rules load and pass test-rules ($m_ms ms, $m_kib KiB peak)" ||
    fail "RC-32 $nrules user rules: exit $m_rc: $(head -c 200 "$scratch/hz.err")"
# RC-41 a 100 KB alternation of literals.
alt=$(seq 100000 115000 | sed 's/^/w/' | paste -sd'|')
measure "RC-41 100 KB alternation" timeout 60 "$sc" test-rules "$(rule_dir alternation "^alt (?:$alt) (?<reply>550)" 'alt w100000 550')" > /dev/null 2> "$scratch/hz.err"
[ "$m_rc" -le 2 ] && ok "RC-41 a ${#alt}-byte alternation: exit $m_rc, $m_ms ms, $m_kib KiB peak ($(head -1 "$scratch/hz.err" | sed 's|.*/rules/||' | cut -c1-120))" ||
    fail "RC-41 a ${#alt}-byte alternation: exit $m_rc"

lap "RC-29..RC-33,"
# ---------------------------------------------------------------------------
# RC-34..RC-37 user rules with a regex that explodes: the hostile lines
# pass through, the limit hits are counted and tagged unknown, one
# warning per rule. Figure: the worst extra cost of one hostile line
# (hostile minus benign lines of the same length, over N lines).

worst_us=0
worst_what=
redos() { # NAME MATCH EXAMPLE HOSTILE-LINE BENIGN-LINE N WANT-LIMIT(1|0)
    local name=$1 re=$2 ex=$3 hostile=$4 benign=$5 n=$6 want_limit=$7 d i per
    if [ "$quick" -eq 1 ] && [ "$n" -ge 10 ]; then
        n=$((n / 10))
    fi
    d=$(rule_dir "$name" "$re" "$ex")
    for ((i = 0; i < n; i++)); do printf '%s\n' "$hostile"; done > "$scratch/in/$name.log"
    for ((i = 0; i < n; i++)); do printf '%s\n' "$benign"; done > "$scratch/in/$name-benign.log"
    invariants "RC-34..37 $name: $n hostile lines" "$scratch/in/$name.log" --rules-add="$d" || return
    # invariants' tagged run: its output, stderr and time.
    local limit=$c_limit t_h=$m_ms
    mv "$scratch/inv.out" "$scratch/redos.out"
    mv "$scratch/inv.err.tagged" "$scratch/redos.err"
    measure "RC-34..37 $name benign" timeout 120 "$sc" --rules-add="$d" --stats=none "$scratch/in/$name-benign.log" > /dev/null 2> /dev/null
    local t_b=$m_ms
    per=$(((t_h - t_b) * 1000 / n))
    [ "$per" -lt 0 ] && per=0
    if [ "$per" -gt "$worst_us" ]; then
        worst_us=$per
        worst_what=$name
    fi
    # One warning per rule for the whole process, whatever -j is.
    local nwarn ndup
    # A (*NO_JIT) rule is announced once at load (RC-40): not a limit warning.
    grep -v 'regex runs without the JIT' "$scratch/redos.err" > "$scratch/redos.lim"
    nwarn=$(sort -u "$scratch/redos.lim" | grep -c .)
    ndup=$(grep -c . "$scratch/redos.lim")
    if [ "$ndup" -gt "$nwarn" ]; then
        fail "RC-91 $name: the same warning $ndup times (once per -j worker)"
    fi
    if [ "$want_limit" -eq 1 ]; then
        local nunknown
        nunknown=$(grep -c $'\tclass=none category=unknown ' "$scratch/redos.out")
        if [ "$limit" = "$n" ] && [ "$nunknown" = "$n" ] && [ "$nwarn" -eq 1 ] &&
            grep -q "rule 'probe_$name': regex stopped by a resource limit" "$scratch/redos.err"; then
            ok "RC-34..37 $name: $n lines passed, all counted in lines_regex_limit and tagged unknown, 1 warning; ~$per us per hostile line (hostile $t_h ms, benign $t_b ms)"
        else
            fail "RC-34..37 $name: lines_regex_limit=$limit, tagged unknown=$nunknown (want $n each), $nwarn stderr lines: $(head -c 300 "$scratch/redos.err")"
        fi
    else
        [ "$nwarn" -le 1 ] && ok "RC-34..37 $name: $n lines passed (lines_regex_limit=$limit), $nwarn warnings; ~$per us per hostile line (hostile $t_h ms, benign $t_b ms)" ||
            fail "RC-34..37 $name: $nwarn stderr lines: $(head -c 300 "$scratch/redos.err")"
    fi
}
a30=$(printf 'a%.0s' $(seq 30))
redos exp_nested '^(a+)+$' aaaa "${a30}!" "${a30}a" 1000 1
redos exp_words '(\w+\s?)+$' 'ab cd' "$(printf 'ab %.0s' $(seq 15))!" "$(printf 'ab %.0s' $(seq 15))a" 1000 1
redos exp_verb_limit '(*LIMIT_MATCH=999999999)^(a+)+$' aaaa "${a30}!" "${a30}a" 1000 1
redos exp_no_jit '(*NO_JIT)^(a+)+$' aaaa "${a30}!" "${a30}a" 1000 1
w64=$(head -c 65000 /dev/zero | tr '\0' 'w')
redos poly_64k '\w*[^\w]' 'abc!' "$w64" "$(head -c 65000 /dev/zero | tr '\0' ' ')" 100 0
# In the interpreter the quadratic pattern costs O(W^2) per line; the
# classify window W (--max-line, 64 KiB) is its only bound.
if [ "$quick" -eq 0 ]; then
    redos poly_64k_no_jit '(*NO_JIT)\w*[^\w]' 'abc!' "$w64" "$(head -c 65000 /dev/zero | tr '\0' ' ')" 1 0
fi
redos poly_8k_no_jit '(*NO_JIT)\w*[^\w]' 'abc!' "${w64:0:8000}" "$(head -c 8000 /dev/zero | tr '\0' ' ')" 20 0
redos heap_64k '(*NO_JIT)^([^<]|<(?!inet))+\d' 'a1' "$(head -c 65000 /dev/zero | tr '\0' 'a')" "$(head -c 65000 /dev/zero | tr '\0' ' ')" 100 1
ab=$(head -c 65000 /dev/zero | tr '\0' 'a' | sed 's/aa/ab/g')
redos jit_stack_64k '(?:a|b)*[^ab]' 'ab!' "$ab" "$(head -c 65000 /dev/zero | tr '\0' ' ')" 100 1
figure "worst extra cost of one hostile line: ~$worst_us us ($worst_what)"

lap "RC-34..RC-37"
# ---------------------------------------------------------------------------
# RC-91 diagnostic flood: 10^5 ReDoS lines give at most 10 stderr lines.

f=$scratch/in/flood.log
nflood=100000
[ "$quick" -eq 1 ] && nflood=20000
yes "${a30}!" | head -n "$nflood" > "$f"
measure "RC-91 $nflood ReDoS lines" timeout 300 "$sc" --rules-add="$scratch/rules/exp_nested" --stats=none "$f" > /dev/null 2> "$scratch/flood.err"
nerr=$(grep -c . "$scratch/flood.err")
[ "$m_rc" -le 1 ] && [ "$nerr" -le 10 ] && ok "RC-91 $nflood ReDoS lines: $nerr stderr lines, $m_ms ms" ||
    fail "RC-91 $nflood ReDoS lines: exit $m_rc, $nerr stderr lines"

lap "RC-91"
# ---------------------------------------------------------------------------
# RC-12 control characters in a diagnostic: a file name with ESC and \001
# must not reach the terminal raw (msg.c writes them as \xNN).

name=$(printf 'evil\033[31mred\001name.log')
timeout 20 "$sc" --stats=none "$scratch/in/$name" > /dev/null 2> "$scratch/esc.err"
! LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177]')" "$scratch/esc.err"
check $? "RC-12 a file name with control characters is escaped on stderr (got: $(od -An -c "$scratch/esc.err" | tr -d '\n' | tr -s ' ' | sed 's/.*e v i l/e v i l/' | head -c 60))"

lap "RC-12"
# ---------------------------------------------------------------------------
# RC-50 closed pipe in JSON and count modes; RC-53 a stalled consumer:
# smtpclass blocks, memory stays flat; RC-55 filter mode counts every line.

nmany=200000
[ "$quick" -eq 1 ] && nmany=20000
seq 1 "$nmany" | sed 's/$/ status=bounced 550 5.1.1/' > "$scratch/in/many.log"
for opts in "--format=json --stats=none" "-c --stats=json"; do
    # shellcheck disable=SC2086
    timeout 20 "$sc" $opts "$scratch/in/many.log" 2> "$scratch/pipe.err" | head -c 10 > /dev/null
    st=${PIPESTATUS[0]}
    if [ "$st" -eq 0 ] && { [ "$opts" != "--format=json --stats=none" ] || [ ! -s "$scratch/pipe.err" ]; }; then
        ok "RC-50 closed pipe with $opts: exit 0, quiet"
    else
        fail "RC-50 closed pipe with $opts: exit $st, stderr $(head -c 200 "$scratch/pipe.err")"
    fi
done

ncopies=5
[ "$quick" -eq 1 ] && ncopies=1
for i in $(seq 1 "$ncopies"); do cat "$scratch/in/big.log"; done > "$scratch/in/stall.log"
rm -f "$scratch/stall.fifo"
mkfifo "$scratch/stall.fifo"
timeout 60 "$sc" --stats=none "$scratch/in/stall.log" > "$scratch/stall.fifo" 2> /dev/null &
pid=$!
bgpids="$bgpids $pid"
exec 6< "$scratch/stall.fifo"
head -c 1000 <&6 > /dev/null
if wait_blocked "$pid" 5000; then
    sleep 1
    st=$(awk '{ print $3 }' "/proc/$pid/stat" 2> /dev/null)
    rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2> /dev/null)
    lines=$(cat <&6 | wc -l)
    exec 6<&-
    wait "$pid"
    [ "$quick" -eq 1 ] && rss=0
    [ "$st" = S ] && [ "${rss:-999999}" -lt 65536 ] && [ "$lines" -gt $((ncopies * 200000 - 100)) ] &&
        ok "RC-53 stalled consumer: blocked (state $st) at $rss KiB RSS, then all lines came ($lines)" ||
        fail "RC-53 stalled consumer: state $st, RSS $rss KiB, $lines lines after draining"
else
    exec 6<&-
    fail "RC-53 stalled consumer: smtpclass never blocked"
fi

timeout 20 "$sc" --only=5xx --stats=json "$sample" > "$scratch/only.out" 2> "$scratch/only.json"
timeout 20 "$sc" --stats=none "$sample" | grep -c $'\tclass=.* reply=5' > "$scratch/only.want"
if [ "$(jq .totals.lines_read < "$scratch/only.json" 2> /dev/null)" = "$(count_lines "$sample")" ] &&
    [ "$(wc -l < "$scratch/only.out")" = "$(cat "$scratch/only.want")" ]; then
    ok "RC-55 --only=5xx: $(wc -l < "$scratch/only.out") lines out, lines_read counts all $(count_lines "$sample")"
else
    fail "RC-55 --only=5xx: $(wc -l < "$scratch/only.out") lines out (want $(cat "$scratch/only.want")), lines_read $(jq .totals.lines_read < "$scratch/only.json" 2>&1)"
fi

lap "RC-50"
# ---------------------------------------------------------------------------
# RC-78 JSON output on the hostile inputs parses, one object per line.

for f in "$mix" "$scratch/in/line-10mb.log" "$scratch/in/exp_nested.log"; do
    timeout 60 "$sc" --rules-add="$scratch/rules/exp_nested" --format=json --stats=json "$f" > "$scratch/j.out" 2> "$scratch/j.err"
    nobj=$(jq -c 'select(type == "object")' < "$scratch/j.out" 2> /dev/null | wc -l)
    if [ "$nobj" = "$(count_lines "$f")" ] && grep -v '^smtpclass: ' "$scratch/j.err" | jq -e . > /dev/null 2>&1; then
        ok "RC-78 JSON of $(basename "$f"): $nobj objects parse, counters parse"
    else
        fail "RC-78 JSON of $(basename "$f"): $nobj objects for $(count_lines "$f") lines"
    fi
done

lap "RC-78"
# ---------------------------------------------------------------------------
# RC-90 the union of the hostile inputs in one run under a 512 MiB address
# space limit (not for ASan builds: their shadow memory needs more).

if command -v prlimit > /dev/null && ! nm -D "$bin" 2> /dev/null | grep -q __asan_init &&
    ! ldd "$bin" 2> /dev/null | grep -q libasan; then
    union=("$scratch/in/line-10mb.log" "$scratch/in/nul-100mb.log" "$scratch/in/bomb.gz"
        "$scratch/in/bomb.zst" "$scratch/in/exp_nested.log" "$scratch/in/heap_64k.log"
        "$scratch/in/jit_stack_64k.log" "$scratch/in/empty-1e6.log" "$mix")
    measure "RC-90 union" prlimit --as=$((512 << 20)) timeout 300 "$sc" -c --stats=json \
        --rules-add="$scratch/rules/exp_nested" "${union[@]}" > "$scratch/union.json" 2> "$scratch/union.err"
    want=0
    for f in "${union[@]}"; do
        case $f in
        *.gz | *.zst) want=$((want + 1)) ;;
        *) want=$((want + $(count_lines "$f"))) ;;
        esac
    done
    if [ "$m_rc" -le 1 ] && [ "$(jq .totals.lines_read < "$scratch/union.json" 2> /dev/null)" = "$want" ]; then
        ok "RC-90 hostile union under a 512 MiB address-space limit: exit $m_rc, $want lines, $m_ms ms, $m_kib KiB peak"
    else
        fail "RC-90 hostile union under 512 MiB: exit $m_rc, lines_read $(jq .totals.lines_read < "$scratch/union.json" 2>&1) (want $want): $(head -c 300 "$scratch/union.err")"
    fi
else
    skip "RC-90 (no prlimit, or an ASan build)"
fi

lap "RC-90"
# ---------------------------------------------------------------------------

figure "peak RSS over all hostile inputs: $peak_kib KiB ($peak_what)"
# ---------------------------------------------------------------------------
# RC-79 label cardinality end to end: every line a new recipient domain, a
# new relay and a new enhanced code. The series stay bounded.
n79=30000
[ "$quick" -eq 1 ] && n79=12000
awk -v n="$n79" 'BEGIN { for (i = 0; i < n; i++)
    printf "Nov 22 10:00:00 mx postfix/smtp[1]: Q%d: to=<u@d%d.example>, relay=r%d.example[192.0.2.1]:25, delay=1, dsn=5.%d.%d, status=bounced (host said: %d 5.%d.%d nope)\n",
        i, i, i, i % 8, int(i / 8) % 1000, 550 + int(i / 8000), i % 8, int(i / 8) % 1000 }' > "$scratch/in/card.log"
timeout 120 "$sc" -c --stats=prometheus "$scratch/in/card.log" > "$scratch/card.prom" 2> "$scratch/card.err"
st=$?
n_out=$(grep -c '^smtpclass_outcomes_total{' "$scratch/card.prom")
n_dom=$(grep -c '^smtpclass_recipient_domain_lines_total{' "$scratch/card.prom")
n_rel=$(grep -c '^smtpclass_relay_lines_total{' "$scratch/card.prom")
n_all=$(grep -vc '^#' "$scratch/card.prom")
folded=$(awk '$1 == "smtpclass_lines_series_folded_total" { print $2 }' "$scratch/card.prom")
if [ "$st" -eq 0 ] && [ "$n_out" -le 10300 ] && [ "$n_dom" -le 63 ] && [ "$n_rel" -le 63 ] &&
    [ "${folded:-0}" -gt 0 ] && [ "$(grep -c . "$scratch/card.err")" -le 1 ]; then
    ok "RC-79 $n79 lines, each a new domain, relay and code: $n_all series ($n_out outcomes, $n_dom domain, $n_rel relay), $folded lines folded into __other__, $(grep -c . "$scratch/card.err") warning"
else
    fail "RC-79 $n79 distinct values: exit $st, $n_out outcome, $n_dom domain, $n_rel relay series, folded '$folded': $(head -c 200 "$scratch/card.err")"
fi
lap "RC-79"

printf '%d checks, %d failed\n' "$checks" "$failed"
[ "$failed" -eq 0 ]
