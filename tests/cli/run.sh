#!/usr/bin/env bash
# End-to-end golden tests of the smtpclass command line (STYLE.md section 10).
#
# usage: run.sh SMTPCLASS_BINARY [--update]
#
# Each directory tests/cli/cases/CASE/ holds:
#   args             the arguments, one per line; a line that is exactly INPUT
#                    stands for the case's input.log
#   input.log        the input (may be empty)
#   stdin            optional, empty: feed input.log on stdin (otherwise stdin
#                    is /dev/null)
#   expected.stdout  expected standard output, byte for byte
#   expected.stderr  expected standard error, byte for byte
#   expected.exit    expected exit status, a number and a newline
#
# The case directory is copied into a scratch directory and the binary runs
# there, so `args` can name files of the case by relative path (a rules
# directory, a second input, ...) and nothing is written into the source
# tree. The binary is run as `smtpclass` through a symlink on PATH, so the
# messages it prints never depend on where it was built. The locale is fixed
# (LC_ALL=C, no LANG/LC_MESSAGES/LANGUAGE, TZ=UTC) so the explanations are
# in English unless a case asks for --lang.
#
# --update runs every case and rewrites its expected.* files from what the
# binary did; review that diff like code before committing it.
#
# Prints one line per case (ok / FAIL, with a unified diff on failure) and
# exits 1 if any case failed, 2 on a usage error.

set -u

usage() {
    echo "usage: $0 SMTPCLASS_BINARY [--update]" >&2
    exit 2
}

if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage; fi
bin=$1
update=0
if [ $# -eq 2 ]; then
    [ "$2" = "--update" ] || usage
    update=1
fi
case $bin in
/*) ;;
*) bin=$PWD/$bin ;;
esac
if [ ! -x "$bin" ] || [ -d "$bin" ]; then
    echo "$0: $bin: not an executable file" >&2
    exit 2
fi

here=$(cd "$(dirname "$0")" && pwd)
cases_dir=$here/cases
if [ ! -d "$cases_dir" ]; then
    echo "$0: $cases_dir: no such directory" >&2
    exit 2
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/smtpclass-cli.XXXXXX") || exit 2
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir "$scratch/bin" "$scratch/cases" || exit 2
ln -s "$bin" "$scratch/bin/smtpclass" || exit 2

# A fixed locale for the binary (English explanations unless a case passes
# --lang); other variables, such as ASAN_OPTIONS, pass through.
run_env=(env -u LANG -u LANGUAGE -u LC_MESSAGES "PATH=$scratch/bin:$PATH" LC_ALL=C TZ=UTC)

failed=0
total=0

fail() { # CASE MESSAGE...
    local c=$1
    shift
    printf 'FAIL %s: %s\n' "$c" "$*"
    failed=$((failed + 1))
}

for dir in "$cases_dir"/*/; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    total=$((total + 1))

    if [ ! -f "$dir/args" ]; then
        fail "$name" "no args file"
        continue
    fi

    work=$scratch/cases/$name
    cp -R "$dir" "$work" || { fail "$name" "cannot copy the case"; continue; }
    rm -f "$work"/expected.stdout "$work"/expected.stderr "$work"/expected.exit

    # One argument per line; INPUT means the case's input.log.
    args=()
    while IFS= read -r a || [ -n "$a" ]; do
        if [ "$a" = "INPUT" ]; then
            args+=("input.log")
        else
            args+=("$a")
        fi
    done < "$dir/args"

    if [ -f "$dir/stdin" ]; then
        if [ -f "$work/input.log" ]; then in=$work/input.log; else in=/dev/null; fi
    else
        in=/dev/null
    fi

    out=$scratch/$name.stdout
    err=$scratch/$name.stderr
    (cd "$work" && exec timeout -k 5 20 "${run_env[@]}" smtpclass "${args[@]}") \
        < "$in" > "$out" 2> "$err"
    status=$?
    printf '%s\n' "$status" > "$scratch/$name.exit"

    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        fail "$name" "timed out after 20 s (exit $status)"
        continue
    fi

    if [ "$update" -eq 1 ]; then
        changed=""
        for s in stdout stderr exit; do
            if ! cmp -s "$scratch/$name.$s" "$dir/expected.$s" 2> /dev/null; then
                cp "$scratch/$name.$s" "$dir/expected.$s" || {
                    fail "$name" "cannot write expected.$s"
                    continue 2
                }
                changed="$changed $s"
            fi
        done
        if [ -n "$changed" ]; then
            printf 'updated %s:%s\n' "$name" "$changed"
        else
            printf 'ok   %s\n' "$name"
        fi
        continue
    fi

    bad=""
    for s in stdout stderr exit; do
        if [ ! -f "$dir/expected.$s" ]; then
            bad="$bad $s(missing expected.$s; run with --update)"
        elif ! cmp -s "$dir/expected.$s" "$scratch/$name.$s"; then
            bad="$bad $s"
        fi
    done
    if [ -z "$bad" ]; then
        printf 'ok   %s\n' "$name"
    else
        fail "$name" "differs in$bad"
        for s in stdout stderr exit; do
            if [ -f "$dir/expected.$s" ] && ! cmp -s "$dir/expected.$s" "$scratch/$name.$s"; then
                diff -u --label "expected.$s" --label "actual.$s" \
                    "$dir/expected.$s" "$scratch/$name.$s" | sed 's/^/    /'
            fi
        done
    fi
done

if [ "$total" -eq 0 ]; then
    echo "$0: no cases in $cases_dir" >&2
    exit 1
fi
printf '%d cases, %d failed\n' "$total" "$failed"
[ "$failed" -eq 0 ]
