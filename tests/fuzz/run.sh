#!/bin/sh
# Fuzz smoke: build the libFuzzer harnesses (clang, ASan+UBSan) in
# build/fuzz and run each for SECONDS (default 60) on a scratch copy of its
# seed corpus plus the regression inputs, with the shared dictionary and a
# fixed seed. Prints execs, exec/s, coverage, corpus size and crashes per
# harness. A crash, leak, timeout or OOM input is copied to
# tests/fuzz/regressions/<harness>/, where the replay tests (ctest) pick it
# up, and the script exits 1.
#
# usage: tests/fuzz/run.sh [SECONDS]
# env:   FUZZ_JOBS     harnesses run at once (default: number of CPUs)
#        FUZZ_TARGETS  harnesses to run (default: all)
#        FUZZ_SEED     libFuzzer -seed (default 1)
#        FUZZ_BUILD    build directory (default build/fuzz)
set -eu
cd "$(dirname "$0")/../.."

secs=${1:-60}
case $secs in
'' | *[!0-9]*)
    echo "usage: $0 [SECONDS]" >&2
    exit 2
    ;;
esac
targets=${FUZZ_TARGETS:-linesplit smtpcode classify rules escape gate decomp}
jobs=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
seed=${FUZZ_SEED:-1}
build=${FUZZ_BUILD:-build/fuzz}

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2
    exit 2
fi

echo "fuzz: building the harnesses in $build"
cmake -S . -B "$build" -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMTPCLASS_FUZZ=ON \
    -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target fuzz >"$build/fuzz-build.log" 2>&1 || {
    tail -30 "$build/fuzz-build.log" >&2
    echo "fuzz: build failed (libFuzzer needs libclang-rt-14-dev)" >&2
    exit 2
}

work=$(mktemp -d "${TMPDIR:-/tmp}/smtpclass-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# Run one harness; its log and artifacts stay in $work/<harness>/.
run_one() {
    h=$1
    d=$work/$h
    mkdir -p "$d/corpus" "$d/artifacts"
    cp tests/fuzz/corpus/"$h"/* "$d/corpus/" 2>/dev/null || true
    regress=tests/fuzz/regressions/$h
    mkdir -p "$regress"
    # The exit status is judged from the artifacts, not from libFuzzer.
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        "$build/fuzz_$h" -max_total_time="$secs" -timeout=5 \
        -rss_limit_mb=2048 -dict=tests/fuzz/smtp.dict -seed="$seed" \
        -print_final_stats=1 -artifact_prefix="$d/artifacts/" \
        "$d/corpus" "$regress" >"$d/log" 2>&1 || true
}

pids=
n=0
for h in $targets; do
    if [ ! -x "$build/fuzz_$h" ]; then
        echo "fuzz: no harness '$h'" >&2
        exit 2
    fi
    run_one "$h" &
    pids="$pids $!"
    n=$((n + 1))
    if [ "$n" -ge "$jobs" ]; then
        for p in $pids; do wait "$p"; done
        pids=
        n=0
    fi
done
for p in $pids; do wait "$p"; done

status=0
printf '%-10s %10s %8s %6s %6s %8s %s\n' harness execs exec/s cov ft corpus crashes
for h in $targets; do
    d=$work/$h
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$d/log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$d/log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$d/log" | tail -1 | cut -d' ' -f2)
    corpus=$(ls "$d/corpus" | wc -l)
    crashes=0
    for a in "$d"/artifacts/*; do
        [ -f "$a" ] || continue
        crashes=$((crashes + 1))
        known=
        for r in tests/fuzz/regressions/"$h"/*; do
            if [ -f "$r" ] && cmp -s "$a" "$r"; then
                known=$r
            fi
        done
        if [ -n "$known" ]; then
            echo "fuzz: $h: fails on the known regression input $known" >&2
        else
            cp "$a" "tests/fuzz/regressions/$h/"
            echo "fuzz: $h: new input tests/fuzz/regressions/$h/$(basename "$a")" >&2
        fi
    done
    # A harness that died without an artifact (e.g. in its initializer).
    if [ "$crashes" -eq 0 ] && [ -z "$execs" ]; then
        crashes=1
        echo "fuzz: $h did not run; its log ends:" >&2
        tail -20 "$d/log" >&2
    elif [ "$crashes" -gt 0 ]; then
        grep -E 'ERROR|check failed|SUMMARY|fuzz_[a-z]+:' "$d/log" | head -8 >&2
    fi
    printf '%-10s %10s %8s %6s %6s %8s %s\n' "$h" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "${ft:-?}" "$corpus" "$crashes"
    [ "$crashes" -eq 0 ] || status=1
done
exit $status
