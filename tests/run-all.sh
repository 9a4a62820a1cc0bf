#!/bin/sh
# The whole test suite from a fresh clone: install what is missing, build
# (warnings are errors), run every test, then the style checks. This is
# what CI runs (.ci/run) and what the README's second command does.
set -eu
cd "$(dirname "$0")/.."

sh tests/setup.sh --test
PATH="${SMTPCLASS_TOOLS:-$HOME/.cache/smtpclass-tools}:$PATH"
export PATH
jobs=$(nproc 2>/dev/null || echo 2)

echo "== release build (-Werror)"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DSMTPCLASS_WERROR=ON >/dev/null
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure -j "$jobs"

# valgrind sees what ASan cannot: the uninstrumented system libraries and
# PCRE2's JIT code (RELIABILITY.md C1 item 4). Errors, definite or
# possible leaks, and descriptors left open (not inherited) fail the run.
echo "== valgrind (release binary: tagged, JSON, -c; corpus + sample + .gz)"
vg=$(mktemp -d)
gzip -c tests/data/sample-mail.log > "$vg/sample-mail.log.gz"
for mode in "--format=tagged --stats=text" "--format=json --stats=json" \
    "-c --stats=prometheus"; do
    # shellcheck disable=SC2086 # $mode is a list of options
    if ! valgrind -q --error-exitcode=1 --leak-check=full --track-fds=yes \
        --log-file="$vg/log" ./build/release/smtpclass $mode \
        tests/data/corpus/*.log tests/data/sample-mail.log \
        "$vg/sample-mail.log.gz" > "$vg/out" 2> "$vg/err"; then
        cat "$vg/log" "$vg/err" >&2
        echo "valgrind: smtpclass $mode failed" >&2
        exit 1
    fi
    if ! awk '/Open file descriptor/ { fd = $0; getline
              if ($0 !~ /inherited from parent/) { print fd; bad = 1 } }
              END { exit bad }' "$vg/log" >&2; then
        echo "valgrind: smtpclass $mode left descriptors open" >&2
        exit 1
    fi
    echo "valgrind: smtpclass $mode: clean ($(wc -l < "$vg/out") lines out)"
done
rm -rf "$vg"

echo "== debug build with AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DSMTPCLASS_SANITIZE=ON \
    -DSMTPCLASS_WERROR=ON >/dev/null
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build/asan --output-on-failure -j "$jobs"

echo "== fuzz smoke (libFuzzer + ASan/UBSan, 40 s per harness)"
sh tests/fuzz/run.sh 40

echo "== banned functions"
if grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|strtok|atoi|atol|system)\s*\(' src/*.c src/*.h; then
    echo "banned function used (STYLE.md section 4)" >&2
    exit 1
fi

echo "== clang-format"
if ! clang-format --dry-run --Werror src/*.c src/*.h tests/unit/*.c 2>/dev/null; then
    clang-format --dry-run src/*.c src/*.h tests/unit/*.c 2>&1 | head -20 >&2
    echo "formatting differs from .clang-format" >&2
    exit 1
fi

echo "== rules"
./build/release/smtpclass --check-rules rules

echo "all tests passed"
