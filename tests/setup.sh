#!/bin/sh
# Installs what building and testing smtpclass need on Debian 12, where
# missing. Safe to run again. Uses sudo when not root.
set -eu

SUDO=
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
fi

# Build: compiler, CMake, pkg-config, PCRE2 (JIT), xxHash, Hyperscan, zlib,
# libzstd, Jansson, libmicrohttpd.
# Tests (--test): Criterion, jq, promtool (from the prometheus package), curl,
# zstd, valgrind, and clang with its libFuzzer/sanitizer runtime for tests/fuzz.
need_pkgs="build-essential cmake pkg-config libpcre2-dev libxxhash-dev libhyperscan-dev zlib1g-dev libzstd-dev libjansson-dev libmicrohttpd-dev"
if [ "${1:-}" = "--test" ]; then
    need_pkgs="$need_pkgs libcriterion-dev jq curl clang-format zstd clang libclang-rt-14-dev valgrind"
fi
# Benchmarks: hyperfine for timing, valgrind for instruction counts, GNU
# time for peak RSS, zstd and isal (igzip) for the archive table.
if [ "${1:-}" = "--bench" ]; then
    need_pkgs="$need_pkgs hyperfine valgrind time jq zstd isal"
fi
missing=
for p in $need_pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing="$missing $p"
    fi
done
if [ -n "$missing" ]; then
    echo "setup: installing$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# promtool alone, without installing and starting the Prometheus server.
if [ "${1:-}" = "--test" ] && ! command -v promtool >/dev/null 2>&1; then
    tools="${SMTPCLASS_TOOLS:-$HOME/.cache/smtpclass-tools}"
    if [ ! -x "$tools/promtool" ]; then
        echo "setup: fetching promtool from Debian's prometheus package"
        tmp=$(mktemp -d)
        (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1 ||
            { $SUDO apt-get update -qq && apt-get download prometheus >/dev/null; })
        dpkg -x "$tmp"/prometheus_*.deb "$tmp/x"
        mkdir -p "$tools"
        cp "$tmp/x/usr/bin/promtool" "$tools/promtool"
        rm -rf "$tmp"
    fi
    echo "setup: promtool is in $tools (add it to PATH)"
fi
