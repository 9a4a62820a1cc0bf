#!/usr/bin/env bash
# shellcheck disable=SC2016 # backticks in report strings are Markdown
# bench.sh: builds smtpclass (Release) and gen_maillog into build/bench,
# generates a synthetic mail log once (bench/out/, reused while the seed,
# size and generator source are unchanged), times smtpclass side by side
# with cat and grep baselines on the same warm file, and prints a Markdown
# report for bench/RESULTS.md on stdout. Progress goes to stderr.
#
# usage: bench/bench.sh [--size 1G] [--runs 5] [--seed 1] [--quick]
set -euo pipefail
export LC_ALL=C # fixed locale: grep -P speed, smtpclass messages, awk numbers

BENCH_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
ROOT=$(cd -- "$BENCH_DIR/.." && pwd -P)
BUILD="$ROOT/build/bench"
OUT="$BENCH_DIR/out"
GREP_RE='\b[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b'

size="" runs="" seed=1 quick=0 jobs=2
usage() {
    echo "usage: bench/bench.sh [--size 1G] [--runs 5] [--seed N] [--quick]" >&2
    exit 2
}
while [ $# -gt 0 ]; do
    case $1 in
    --size) [ $# -ge 2 ] || usage; size=$2; shift ;;
    --size=*) size=${1#*=} ;;
    --runs) [ $# -ge 2 ] || usage; runs=$2; shift ;;
    --runs=*) runs=${1#*=} ;;
    --seed) [ $# -ge 2 ] || usage; seed=$2; shift ;;
    --seed=*) seed=${1#*=} ;;
    --quick) quick=1 ;;
    -h | --help)
        sed -n '3,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
        exit 0 ;;
    *) usage ;;
    esac
    shift
done
if [ "$quick" = 1 ]; then
    size=${size:-50M}
    runs=${runs:-3}
fi
size=${size:-1G}
runs=${runs:-5}
size=$(printf '%s' "$size" | tr 'kmg' 'KMG')
[[ $size =~ ^[0-9]+[KMG]?$ ]] || { echo "bench.sh: bad --size '$size'" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench.sh: bad --runs '$runs'" >&2; exit 2; }
[[ $seed =~ ^[0-9]+$ ]] || { echo "bench.sh: bad --seed '$seed'" >&2; exit 2; }

note() { printf 'bench.sh: %s\n' "$*" >&2; }
die() { note "$*"; exit 2; }
have() { command -v "$1" > /dev/null 2>&1; }
rel() { printf '%s' "${1#"$ROOT"/}"; } # paths in the report: repo-relative
to_bytes() {
    local n=${1%[KMG]}
    case $1 in
    *K) echo $((n << 10)) ;; *M) echo $((n << 20)) ;;
    *G) echo $((n << 30)) ;; *) echo "$n" ;;
    esac
}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/smtpclass-bench.XXXXXX")
trap 'rm -rf -- "$TMP"' EXIT
SECONDS=0
mkdir -p "$OUT"

# ---- build ----------------------------------------------------------------
note "building smtpclass and gen_maillog (Release) in $(rel "$BUILD")"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF \
    > "$TMP/cmake.log" 2>&1 || { cat "$TMP/cmake.log" >&2; die "cmake failed"; }
cmake --build "$BUILD" --target smtpclass gen_maillog -j "$jobs" \
    > "$TMP/build.log" 2>&1 || { cat "$TMP/build.log" >&2; die "build failed"; }
SC="$BUILD/smtpclass"
GEN="$BUILD/gen_maillog"

# ---- inputs ---------------------------------------------------------------
# The name carries seed, size and a hash of the generator source, so a
# changed generator never reuses an old file.
gen_hash=$( (sha256sum "$BENCH_DIR/gen_maillog.c" 2> /dev/null ||
    cksum "$BENCH_DIR/gen_maillog.c") | cut -c1-10)
gen_file() { # SIZE -> path of the generated file
    local f="$OUT/maillog-seed$seed-$1-$gen_hash.log"
    if [ ! -s "$f" ] || [ ! -s "$f.summary" ]; then
        note "generating $(rel "$f")"
        "$GEN" --seed "$seed" --size "$1" > "$f.tmp" 2> "$f.summary.tmp"
        mv -f "$f.summary.tmp" "$f.summary"
        mv -f "$f.tmp" "$f"
    fi
    printf '%s' "$f"
}
for old in "$OUT"/maillog-seed*.log; do # inputs of an older generator
    case $old in
    *-"$gen_hash".log | "$OUT/maillog-seed*.log") ;;
    *) note "removing stale $(rel "$old")"
        rm -f -- "$old" "$old".summary "$old".part-* ;;
    esac
done
FILE=$(gen_file "$size")
file_bytes=$(wc -c < "$FILE")
file_lines=$(wc -l < "$FILE")
gen_summary=$(cat "$FILE.summary")
mem_avail_kb=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo 2> /dev/null || echo 0)
if [ "${mem_avail_kb:-0}" -gt 0 ] && [ $((file_bytes / 1024)) -gt $((mem_avail_kb * 8 / 10)) ]; then
    note "warning: the file is larger than 80 % of available memory; timings include disk reads"
fi

# -j: only if this smtpclass has it; two halves split at a line boundary
has_j=0
if "$SC" --help 2>&1 | grep -Eq '(^|[ ,])-j([ ,=N]|$)'; then
    has_j=1
    PART_A="$FILE.part-aa" PART_B="$FILE.part-ab"
    if [ ! -s "$PART_A" ] || [ ! -s "$PART_B" ]; then
        note "splitting into two halves for -j"
        split -n l/2 "$FILE" "$FILE.part-"
    fi
fi

# ---- timing ---------------------------------------------------------------
# time_set RUNS NAME CMD [NAME CMD ...]: runs each shell command RUNS times,
# one after the other, and fills MED/MIN/MAX (seconds) keyed by NAME.
declare -A MED MIN MAX
# BENCH_TIMER=loop forces the fallback even where hyperfine is installed.
timer=loop
if [ "${BENCH_TIMER:-}" != loop ] && have hyperfine && { have jq || have python3; }; then
    timer=hyperfine
fi
json_stats() { # hyperfine JSON -> "median min max" per line, in order
    if have jq; then
        jq -r '.results[] | "\(.median) \(.min) \(.max)"' "$1"
    else
        python3 -c 'import json,sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(r["median"], r["min"], r["max"])' "$1"
    fi
}
time_set() {
    local n=$1
    shift
    local names=() cmds=()
    while [ $# -gt 0 ]; do
        names+=("$1")
        cmds+=("$2")
        shift 2
    done
    local i
    if [ "$timer" = hyperfine ]; then
        local args=() json="$TMP/hf.json"
        for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
        hyperfine --runs "$n" --style basic --export-json "$json" "${args[@]}" >&2
        i=0
        while read -r med mn mx; do
            MED[${names[$i]}]=$med MIN[${names[$i]}]=$mn MAX[${names[$i]}]=$mx
            i=$((i + 1))
        done < <(json_stats "$json")
    else
        local r t0 t1
        for i in "${!names[@]}"; do
            note "timing ${names[$i]} ($n runs)"
            : > "$TMP/times"
            for ((r = 0; r < n; r++)); do
                t0=$(date +%s%N)
                bash -c "${cmds[$i]}"
                t1=$(date +%s%N)
                echo $((t1 - t0)) >> "$TMP/times"
            done
            read -r med mn mx < <(sort -n "$TMP/times" | awk '
                { v[NR] = $1 / 1e9 }
                END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                      printf "%.6f %.6f %.6f\n", m, v[1], v[NR] }')
            MED[${names[$i]}]=$med MIN[${names[$i]}]=$mn MAX[${names[$i]}]=$mx
        done
    fi
}

q() { printf '%q' "$1"; } # quote a path for the shell commands
F=$(q "$FILE") S=$(q "$SC")
names=(cat_null grep sc_count sc_tagged sc_json sc_pipe cat_pipe)
declare -A CMD LABEL
CMD[cat_null]="cat $F > /dev/null"
LABEL[cat_null]='`cat FILE > /dev/null` (baseline A)'
# grep -c into a pipe: with stdout on /dev/null GNU grep stops at the
# first match.
CMD[grep]="grep -cP '$GREP_RE' $F | cat > /dev/null"
LABEL[grep]="\`LC_ALL=C grep -cP '$GREP_RE' FILE | cat\` (baseline B)"
CMD[sc_count]="$S -c $F > /dev/null"
LABEL[sc_count]='`smtpclass -c FILE > /dev/null`'
CMD[sc_tagged]="$S --stats=none $F | cat > /dev/null"
LABEL[sc_tagged]='`smtpclass --stats=none FILE | cat > /dev/null` (tagged)'
CMD[sc_json]="$S --format=json --stats=none $F | cat > /dev/null"
LABEL[sc_json]='`smtpclass --format=json --stats=none FILE | cat > /dev/null`'
CMD[sc_pipe]="cat $F | $S -c > /dev/null"
LABEL[sc_pipe]='`cat FILE | smtpclass -c > /dev/null`'
CMD[cat_pipe]="cat $F | cat > /dev/null"
LABEL[cat_pipe]='`cat FILE | cat > /dev/null`'
# -j: one file and two halves, count and tagged mode, -j 1 against -j 2.
# The default -j is the number of cores, so the rows above say -j 1 to
# stay comparable with earlier reports. Timed interleaved (below).
j_names=()
if [ "$has_j" = 1 ]; then
    HALVES="$(q "$PART_A") $(q "$PART_B")"
    for n in sc_count sc_tagged sc_json sc_pipe; do
        CMD[$n]=${CMD[$n]/"$S "/"$S -j 1 "}
        LABEL[$n]=${LABEL[$n]/smtpclass /smtpclass -j 1 }
    done
    for j in 1 2; do
        j_names+=("file_count_j$j" "file_tagged_j$j" "halves_count_j$j" "halves_tagged_j$j")
        CMD[file_count_j$j]="$S -c -j $j $F > /dev/null"
        CMD[file_tagged_j$j]="$S -j $j --stats=none $F | cat > /dev/null"
        CMD[halves_count_j$j]="$S -c -j $j $HALVES > /dev/null"
        CMD[halves_tagged_j$j]="$S -j $j --stats=none $HALVES | cat > /dev/null"
    done
    LABEL[file_count]='`smtpclass -c -j N FILE > /dev/null`'
    LABEL[file_tagged]='`smtpclass -j N --stats=none FILE | cat > /dev/null`'
    LABEL[halves_count]='`smtpclass -c -j N HALF1 HALF2 > /dev/null`'
    LABEL[halves_tagged]='`smtpclass -j N --stats=none HALF1 HALF2 | cat > /dev/null`'
fi

# Each command must work before anything is timed.
for n in "${names[@]}" "${j_names[@]}"; do
    bash -c "set -o pipefail; ${CMD[$n]}" ||
        die "command failed (status $?): ${CMD[$n]}"
done
sc_outcome=$( ("$SC" -c "$FILE" || true) | awk '/lines with outcome/ { print $NF }')

note "warming the page cache"
cat "$FILE" > /dev/null
if [ "$has_j" = 1 ]; then cat "$PART_A" "$PART_B" > /dev/null; fi
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2> /dev/null || echo n/a)

note "timing on $(rel "$FILE") ($file_bytes bytes), $runs runs each"
args=()
for n in "${names[@]}"; do args+=("$n" "${CMD[$n]}"); done
time_set "$runs" "${args[@]}"

# ---- -j ---------------------------------------------------------------------
# -j 1 and -j 2 alternate run by run, so a change in the machine's load hits
# both alike (hyperfine would time all runs of one command first).
time_interleaved() { # RUNS NAME... -> MED/MIN/MAX like time_set
    local n=$1 r name t0 t1 med mn mx
    shift
    for name in "$@"; do : > "$TMP/t.$name"; done
    for ((r = 0; r < n; r++)); do
        for name in "$@"; do
            t0=$(date +%s%N)
            bash -c "${CMD[$name]}"
            t1=$(date +%s%N)
            echo $((t1 - t0)) >> "$TMP/t.$name"
        done
    done
    for name in "$@"; do
        read -r med mn mx < <(sort -n "$TMP/t.$name" | awk '
            { v[NR] = $1 / 1e9 }
            END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
                  printf "%.6f %.6f %.6f\n", m, v[1], v[NR] }')
        MED[$name]=$med MIN[$name]=$mn MAX[$name]=$mx
    done
}
if [ "$has_j" = 1 ]; then
    note "-j 1 against -j 2, interleaved, $runs runs each"
    for n in file_count file_tagged halves_count halves_tagged; do
        time_interleaved "$runs" "${n}_j1" "${n}_j2"
    done
fi

# ---- rules scaling --------------------------------------------------------
# Every reason stanza appended again 10 times under new names, after the
# originals: the first match decides, so the results must not change, and
# per-line work should not grow with the number of rules.
DUP=10
RULES_X="$TMP/rules-x$DUP"
mkdir -p "$RULES_X"
cp -R "$ROOT/rules/." "$RULES_X/"
awk -v dup="$DUP" '
    /^reason[ \t]/ { r = 1; n++; name[n] = $2; body[n] = ""; next }
    /^[^ \t#]/ { r = 0 }
    r && /^[ \t]+[^ \t#]/ { body[n] = body[n] $0 "\n" }
    END {
        for (k = 1; k <= dup; k++)
            for (i = 1; i <= n; i++)
                printf "\nreason %s_x%d\n%s", name[i], k, body[i]
    }' "$ROOT/rules/reasons.rules" >> "$RULES_X/reasons.rules"
n_reason=$(cat "$ROOT"/rules/*.rules | grep -c '^reason[[:space:]]' || true)
n_reason_x=$(cat "$RULES_X"/*.rules | grep -c '^reason[[:space:]]' || true)
if "$SC" --check-rules "$RULES_X" > "$TMP/check.log" 2>&1; then
    rules_check=passes
else
    rules_check="FAILS ($(wc -l < "$TMP/check.log") lines of problems)"
fi
# The main file: with a smaller one, the seconds of start-up the 11x copy
# takes to compile drown the per-line time in noise.
SFILE=$FILE
sfile_bytes=$(wc -c < "$SFILE")
sfile_lines=$(wc -l < "$SFILE")
"$SC" -c --rules "$ROOT/rules" "$SFILE" > "$TMP/c1" || true
"$SC" -c --rules "$RULES_X" "$SFILE" > "$TMP/c2" || true
if cmp -s "$TMP/c1" "$TMP/c2"; then same_counters=yes; else same_counters=NO; fi
cat "$SFILE" > /dev/null
# one thread: the per-line cost, comparable with earlier reports
J1=""
if [ "$has_j" = 1 ]; then J1="-j 1"; fi
note "rules scaling on $(rel "$SFILE")"
time_set "$runs" \
    rules_builtin "$S $J1 -c $(q "$SFILE") > /dev/null" \
    rules_1 "$S $J1 -c --rules $(q "$ROOT/rules") $(q "$SFILE") > /dev/null" \
    rules_x "$S $J1 -c --rules $(q "$RULES_X") $(q "$SFILE") > /dev/null" \
    rules_builtin0 "$S -c /dev/null > /dev/null || true" \
    rules_10 "$S -c --rules $(q "$ROOT/rules") /dev/null > /dev/null || true" \
    rules_x0 "$S -c --rules $(q "$RULES_X") /dev/null > /dev/null || true"

# ---- compressed archives ----------------------------------------------------
# The same log as gzip (-1, what logrotate's compresscmd often is) and zstd,
# read directly against the decompressor piped into smtpclass -c. The
# smaller file is enough: decoding, not classification, is what differs.
ZFILE=$FILE
if [ "$file_bytes" -gt $((100 << 20)) ]; then ZFILE=$(gen_file 100M); fi
zfile_bytes=$(wc -c < "$ZFILE")
has_gz=0 has_zst=0
if have gzip; then
    [ -s "$ZFILE.gz" ] || gzip -1 -c "$ZFILE" > "$ZFILE.gz"
    has_gz=1
fi
if have zstd; then
    [ -s "$ZFILE.zst" ] || zstd -q -3 -c "$ZFILE" > "$ZFILE.zst"
    has_zst=1
fi
z_args=()
if [ "$has_gz" = 1 ]; then
    ZG=$(q "$ZFILE.gz")
    z_args+=(gz_direct "$S $J1 -c $ZG > /dev/null"
        gz_pipe "zcat $ZG | $S $J1 -c > /dev/null"
        gz_zcat "zcat $ZG > /dev/null"
        gz_four "$S -c $ZG $ZG $ZG $ZG > /dev/null"
        gz_four_pipe "zcat $ZG $ZG $ZG $ZG | $S -c > /dev/null")
    # ISA-L's decoder alone, for comparison (smtpclass uses zlib: see
    # bench/RESULTS.md), when its CLI is installed.
    if have igzip; then z_args+=(gz_igzip "igzip -d -c $ZG > /dev/null"); fi
fi
if [ "$has_zst" = 1 ]; then
    ZZ=$(q "$ZFILE.zst")
    z_args+=(zst_direct "$S $J1 -c $ZZ > /dev/null"
        zst_pipe "zstdcat $ZZ | $S $J1 -c > /dev/null"
        zst_cat "zstdcat $ZZ > /dev/null")
fi
if [ "${#z_args[@]}" -gt 0 ]; then
    note "compressed archives ($(rel "$ZFILE"))"
    time_set "$runs" "${z_args[@]}"
fi

# ---- peak RSS ---------------------------------------------------------------
rss_note=""
rss_tool=""
if [ -x /usr/bin/time ]; then
    rss_tool=/usr/bin/time
elif [ "$(id -u)" = 0 ] && have apt-get &&
    apt-get install -y -qq time > "$TMP/apt.log" 2>&1 && [ -x /usr/bin/time ]; then
    rss_tool=/usr/bin/time
    rss_note="GNU time was missing and has been installed (apt-get install time)."
elif have python3; then
    rss_tool=python3
    rss_note="GNU time is missing: peak RSS from python3 getrusage(RUSAGE_CHILDREN)."
else
    rss_note="GNU time is missing and could not be installed: no peak RSS."
fi
peak_rss_kb() { # FILE [OPTION...] -> KiB of smtpclass OPTION... FILE (default -c)
    local f=$1
    shift
    [ $# -gt 0 ] || set -- -c
    case $rss_tool in
    /usr/bin/time)
        /usr/bin/time -f %M -o "$TMP/rss" "$SC" "$@" "$f" > /dev/null || true
        tail -n 1 "$TMP/rss" ;;
    python3)
        python3 -c 'import resource,subprocess,sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$SC" "$@" "$f" ;;
    *) echo n/a ;;
    esac
}
note "peak RSS"
rss_files=("$(gen_file 1M)")
if [ "$file_bytes" -ne $((100 << 20)) ]; then rss_files+=("$(gen_file 100M)"); fi
rss_files+=("$FILE")
declare -A RSS
for f in "${rss_files[@]}"; do RSS[$f]=$(peak_rss_kb "$f"); done
# -j: per-thread state, and buffered output of units waiting their turn.
rss_j=()
if [ "$has_j" = 1 ]; then
    rss_j=("-c -j 1" "-c -j 2" "-j 2 --stats=none" "-j 2 --format=json --stats=none")
    for a in "${rss_j[@]}"; do
        # shellcheck disable=SC2086 # a is a list of options
        RSS[$a]=$(peak_rss_kb "$FILE" $a)
    done
fi

# ---- start-up ---------------------------------------------------------------
note "start-up: 50 runs of 'smtpclass explain 550'"
if [ "$timer" = hyperfine ]; then
    hyperfine -N --runs 50 --warmup 5 --style basic --export-json "$TMP/su.json" \
        "$S explain 550" >&2
    startup_ms=$(json_stats "$TMP/su.json" | awk '{ printf "%.2f", $1 * 1000 }')
else
    : > "$TMP/su"
    for ((r = 0; r < 50; r++)); do
        t0=$(date +%s%N)
        "$SC" explain 550 > /dev/null
        t1=$(date +%s%N)
        echo $((t1 - t0)) >> "$TMP/su"
    done
    startup_ms=$(sort -n "$TMP/su" | awk '{ v[NR] = $1 }
        END { printf "%.2f", (v[25] + v[26]) / 2 / 1e6 }')
fi

# ---- instruction counts -------------------------------------------------------
ir_empty=n/a ir_small=n/a ir_per_line=n/a ir_per_byte=n/a
CG_FILE=$(gen_file 2M)
cg_bytes=$(wc -c < "$CG_FILE")
cg_lines=$(wc -l < "$CG_FILE")
callgrind_ir() { # input [smtpclass options...] -> instructions executed (Ir)
    local input=$1
    shift
    valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" \
        "$SC" -c "$@" "$input" > /dev/null 2> "$TMP/cg.err" || true
    awk '/^(summary|totals):/ { print $2; exit }' "$TMP/cg.out"
}
ir_net_per_line() { # IR_INPUT IR_EMPTY -> instructions per line of CG_FILE
    awk -v a="$1" -v b="$2" -v n="$cg_lines" 'BEGIN { printf "%.0f", (a - b) / n }'
}
ir_rules_1=n/a ir_rules_x=n/a ir_rules_ratio=n/a
if have valgrind; then
    note "callgrind on an empty input and on $(rel "$CG_FILE")"
    ir_empty=$(callgrind_ir /dev/null)
    ir_small=$(callgrind_ir "$CG_FILE")
    if [ -n "$ir_empty" ] && [ -n "$ir_small" ]; then
        ir_per_line=$(awk -v a="$ir_small" -v b="$ir_empty" -v n="$cg_lines" \
            'BEGIN { printf "%.0f", (a - b) / n }')
        ir_per_byte=$(awk -v a="$ir_small" -v b="$ir_empty" -v n="$cg_bytes" \
            'BEGIN { printf "%.1f", (a - b) / n }')
    fi
    # Per-line work against the number of rules, free of timing noise.
    note "callgrind with --rules rules/ and with the $((DUP + 1))x copy"
    a=$(callgrind_ir "$CG_FILE" --rules "$ROOT/rules")
    b=$(callgrind_ir /dev/null --rules "$ROOT/rules")
    c=$(callgrind_ir "$CG_FILE" --rules "$RULES_X")
    d=$(callgrind_ir /dev/null --rules "$RULES_X")
    if [ -n "$a" ] && [ -n "$b" ] && [ -n "$c" ] && [ -n "$d" ]; then
        ir_rules_1=$(ir_net_per_line "$a" "$b")
        ir_rules_x=$(ir_net_per_line "$c" "$d")
        ir_rules_ratio=$(awk -v x="$ir_rules_x" -v y="$ir_rules_1" \
            'BEGIN { printf "%.2f", x / y }')
    fi
fi

# ---- report -----------------------------------------------------------------
cache_get() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt" | head -n 1; }
cc_path=$(cache_get CMAKE_C_COMPILER)
compiler=$("${cc_path:-cc}" --version 2> /dev/null | head -n 1)
build_type=$(cache_get CMAKE_BUILD_TYPE)
flags=$(printf '%s %s' "$(cache_get CMAKE_C_FLAGS)" "$(cache_get CMAKE_C_FLAGS_RELEASE)" |
    awk '{ $1 = $1; print }')
commit=$(git -C "$ROOT" rev-parse --short HEAD 2> /dev/null || echo unknown)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2> /dev/null || uname -m)
ncpu=$(nproc 2> /dev/null || echo '?')
timer_desc="$runs runs per command, median"
if [ "$timer" = hyperfine ]; then
    timer_desc="$(hyperfine --version | head -n 1), $timer_desc"
else
    timer_desc="bash loop with date +%s%N, $timer_desc"
fi

fmt() { awk -v v="$1" -v f="$2" 'BEGIN { printf f, v }'; }
grep_med=${MED[grep]}

echo "## smtpclass benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "| | |"
echo "|---|---|"
echo "| commit | \`$commit\` ($("$SC" --version 2> /dev/null | head -n 1)) |"
echo "| compiler | $compiler |"
echo "| build | CMAKE_BUILD_TYPE=$build_type, flags \`$flags\` |"
echo "| CPU | $cpu, $ncpu CPUs; load average before timing: $load_before |"
echo "| input | \`$(rel "$FILE")\`: $file_bytes bytes, $file_lines lines (gen_maillog --seed $seed --size $size) |"
echo "| outcome lines | generator: $(echo "$gen_summary" | sed -n 's/.*lines, \([0-9]* outcome lines ([0-9.]* %)\).*/\1/p'); smtpclass: ${sc_outcome:-n/a} lines with outcome |"
echo "| timing | $timer_desc; page cache warm; LC_ALL=C |"
echo "| baseline B | \`LC_ALL=C grep -cP '$GREP_RE' FILE\`, output into a pipe |"
echo
echo "### Throughput"
echo
echo "| command | median s | min s | max s | MB/s | Mlines/s | time / grep |"
echo "|---|--:|--:|--:|--:|--:|--:|"
for n in "${names[@]}"; do
    m=${MED[$n]}
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$n]//|/\\|}" \
        "$(fmt "$m" %.3f)" "$(fmt "${MIN[$n]}" %.3f)" "$(fmt "${MAX[$n]}" %.3f)" \
        "$(awk -v b="$file_bytes" -v t="$m" 'BEGIN { printf "%.0f", b / t / 1e6 }')" \
        "$(awk -v l="$file_lines" -v t="$m" 'BEGIN { printf "%.2f", l / t / 1e6 }')" \
        "$(awk -v t="$m" -v g="$grep_med" 'BEGIN { printf "%.2f", t / g }')"
done
echo
echo "### Parallel: \`-j 1\` against \`-j 2\`"
echo
if [ "$has_j" = 0 ]; then
    echo "This smtpclass has no \`-j\`: the parallel rows are left out."
else
    echo "HALF1 and HALF2 are the input split in two at a line boundary. The runs of"
    echo "\`-j 1\` and \`-j 2\` alternate ($runs each, bash loop with \`date +%s%N\`);"
    echo "speed-up is the ratio of the medians. Output is the same bytes either way."
    echo
    echo "| command | -j 1 median s | -j 2 median s | -j 2 min–max s | -j 2 MB/s | speed-up |"
    echo "|---|--:|--:|--:|--:|--:|"
    for n in file_count file_tagged halves_count halves_tagged; do
        m1=${MED[${n}_j1]} m2=${MED[${n}_j2]}
        printf '| %s | %s | %s | %s–%s | %s | %s |\n' "${LABEL[$n]//|/\\|}" \
            "$(fmt "$m1" %.3f)" "$(fmt "$m2" %.3f)" \
            "$(fmt "${MIN[${n}_j2]}" %.3f)" "$(fmt "${MAX[${n}_j2]}" %.3f)" \
            "$(awk -v b="$file_bytes" -v t="$m2" 'BEGIN { printf "%.0f", b / t / 1e6 }')" \
            "$(awk -v a="$m1" -v b="$m2" 'BEGIN { printf "%.2fx", a / b }')"
    done
fi
echo
echo "### Rules scaling"
echo
echo "Every \`reason\` stanza appended $DUP more times under new names, after the originals"
echo "(\`--check-rules\` on the copy: $rules_check; counters identical to the original rules: $same_counters)."
echo "Input \`$(rel "$SFILE")\`: $sfile_bytes bytes, $sfile_lines lines."
echo
echo "Rules from a directory are compiled for Hyperscan at start-up (the built-in ones at"
echo "build time), so the per-line figure is the run minus the same command on an empty input."
echo
echo "| \`smtpclass -c\` with | reason stanzas | median s | start-up s | net s | net MB/s | net / \`--rules rules/\` |"
echo "|---|--:|--:|--:|--:|--:|--:|"
scale_row() { # NAME EMPTY_NAME LABEL N_REASONS
    local net net1 mbs=n/a ratio=n/a
    net=$(awk -v a="${MED[$1]}" -v b="${MED[$2]}" 'BEGIN { printf "%.6f", a - b }')
    net1=$(awk -v a="${MED[rules_1]}" -v b="${MED[rules_10]}" 'BEGIN { printf "%.6f", a - b }')
    # A start-up larger than the run leaves no figure, only noise.
    if awk -v t="$net" -v u="$net1" 'BEGIN { exit !(t > 0 && u > 0) }'; then
        mbs=$(awk -v b="$sfile_bytes" -v t="$net" 'BEGIN { printf "%.0f", b / t / 1e6 }')
        ratio=$(awk -v a="$net" -v b="$net1" 'BEGIN { printf "%.2f", a / b }')
    fi
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$3" "$4" "$(fmt "${MED[$1]}" %.3f)" \
        "$(fmt "${MED[$2]}" %.3f)" "$(fmt "$net" %.3f)" "$mbs" "$ratio"
}
scale_row rules_builtin rules_builtin0 "built-in rules (embedded)" "$n_reason"
scale_row rules_1 rules_10 '`--rules rules/`' "$n_reason"
scale_row rules_x rules_x0 "\`--rules COPY\` (each reason $((DUP + 1))x)" "$n_reason_x"
echo
echo "The same in instructions (callgrind, \`smtpclass -c\` on \`$(rel "$CG_FILE")\`, net of"
echo "the same command on an empty input, per line), which machine noise does not move:"
echo
echo "| \`smtpclass -c\` with | reason stanzas | instructions per line | ratio |"
echo "|---|--:|--:|--:|"
echo "| \`--rules rules/\` | $n_reason | $ir_rules_1 | 1.00 |"
echo "| \`--rules COPY\` | $n_reason_x | $ir_rules_x | $ir_rules_ratio |"
echo
if [ "${#z_args[@]}" -gt 0 ]; then
    echo "### Compressed archives"
    echo
    echo "\`$(rel "$ZFILE")\` ($zfile_bytes bytes) compressed with \`gzip -1\` and \`zstd -3\`;"
    echo "smtpclass reads it directly (decoded on a second thread) or from the decompressor's pipe."
    echo
    echo "| command | median s | min s | max s | MB/s of the log | direct / pipe |"
    echo "|---|--:|--:|--:|--:|--:|"
    z_row() { # NAME LABEL PIPE_NAME [COPIES of the log it reads, 1]
        local ratio="" copies=${4:-1}
        [ -n "$3" ] && ratio=$(awk -v a="${MED[$1]}" -v b="${MED[$3]}" 'BEGIN { printf "%.2f", a / b }')
        printf '| %s | %s | %s | %s | %s | %s |\n' "$2" "$(fmt "${MED[$1]}" %.3f)" \
            "$(fmt "${MIN[$1]}" %.3f)" "$(fmt "${MAX[$1]}" %.3f)" \
            "$(awk -v b="$zfile_bytes" -v c="$copies" -v t="${MED[$1]}" 'BEGIN { printf "%.0f", b * c / t / 1e6 }')" \
            "$ratio"
    }
    if [ "$has_gz" = 1 ]; then
        z_row gz_direct "\`smtpclass $J1 -c FILE.gz\`" gz_pipe
        z_row gz_pipe "\`zcat FILE.gz \\| smtpclass $J1 -c\`" ""
        z_row gz_zcat "\`zcat FILE.gz > /dev/null\`" ""
        [ -n "${MED[gz_igzip]:-}" ] && z_row gz_igzip "\`igzip -d -c FILE.gz > /dev/null\` (ISA-L, for comparison)" ""
        z_row gz_four "\`smtpclass -c\` on FILE.gz four times (\`-j\` default: $(nproc) threads)" gz_four_pipe 4
        z_row gz_four_pipe "\`zcat\` of the four \`\| smtpclass -c\`" "" 4
    fi
    if [ "$has_zst" = 1 ]; then
        z_row zst_direct "\`smtpclass $J1 -c FILE.zst\`" zst_pipe
        z_row zst_pipe "\`zstdcat FILE.zst \\| smtpclass $J1 -c\`" ""
        z_row zst_cat "\`zstdcat FILE.zst > /dev/null\`" ""
    fi
    echo
fi
echo "### Memory, start-up, instructions"
echo
echo "| measure | input | value |"
echo "|---|---|--:|"
for f in "${rss_files[@]}"; do
    v=${RSS[$f]}
    [ "$v" != n/a ] && v="$(fmt "$v" %d) KiB"
    echo "| peak RSS, \`smtpclass -c\` | $(wc -c < "$f") bytes | $v |"
done
for a in "${rss_j[@]}"; do
    v=${RSS[$a]}
    [ "$v" != n/a ] && v="$(fmt "$v" %d) KiB"
    echo "| peak RSS, \`smtpclass $a FILE > /dev/null\` | $file_bytes bytes | $v |"
done
echo "| start-up, \`smtpclass explain 550\` | median of 50 runs | $startup_ms ms |"
echo "| instructions (callgrind Ir), \`smtpclass -c\` | empty input | $ir_empty |"
echo "| instructions (callgrind Ir), \`smtpclass -c\` | $cg_bytes bytes, $cg_lines lines | $ir_small |"
echo "| instructions per line, net of start-up | same | $ir_per_line |"
echo "| instructions per byte, net of start-up | same | $ir_per_byte |"
if [ -n "$rss_note" ]; then
    echo
    echo "$rss_note"
fi
echo
echo "bench.sh took ${SECONDS} s."
note "done in ${SECONDS} s"
