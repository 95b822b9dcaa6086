#!/usr/bin/env bash
# Install Debian's wasm-capable Rust tool chain (rustc/cargo 1.96 "web" builds with
# std sources, plus lld-19 for wasm-ld), only if it is missing. Idempotent: a fast
# no-op (dpkg-query + a few file tests, ~0.1 s) once installed. Prints one line.
# --no-install-recommends: rustc-web recommends rust-web-llvm, which drags in all of
# LLVM 22 (llvm-22, -dev, -tools, libclang-cpp22); the wasm build does not use it
# (the linker is lld-19's wasm-ld), so it is skipped: 13 packages instead of 20.
#
# Why Debian's and not rustup's: rustup here has no wasm32 target and cannot download
# one; rustup's nightly cannot use Debian's std source (version mismatch). Host builds
# stay on rustup's cargo; only scripts/build-core-wasm.sh uses these, by full path.
# See shared/DESIGN.md, "Tool chain on these machines".
set -euo pipefail

# rust-web-clippy: scripts/lint-wasm.sh lints the wasm-only code with it.
PKGS=(rustc-web cargo-web rust-web-src rust-web-clippy lld-19)
WASM_LD=/usr/lib/llvm-19/bin/wasm-ld

# Everything the wasm build needs, checked by file (a package can be "installed"
# yet a file missing if someone deleted it, and vice versa).
toolchain_ok() {
    [ -x /usr/bin/rustc ] && [ -x /usr/bin/rustdoc ] && [ -x /usr/bin/cargo ] && [ -x /usr/bin/cargo-clippy ] && [ -x "$WASM_LD" ] || return 1
    local sysroot
    sysroot=$(/usr/bin/rustc --print sysroot 2>/dev/null) || return 1
    [ -f "$sysroot/lib/rustlib/src/rust/library/std/Cargo.toml" ] || return 1
    # Debian ships no prebuilt wasm32 std: -Zbuild-std compiles it from these sources,
    # pinned by their own lock file (std's few crates.io deps are fetched on first build).
    [ -f "$sysroot/lib/rustlib/src/rust/library/Cargo.lock" ] || return 1
}

missing_pkgs() {
    local p st
    for p in "${PKGS[@]}"; do
        st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [ "$st" = "install ok installed" ] || echo "$p"
    done
}

missing=$(missing_pkgs)
if [ -z "$missing" ] && toolchain_ok; then
    echo "setup-wasm-toolchain: already installed ($(/usr/bin/rustc --version), wasm-ld 19); nothing to do"
    exit 0
fi

[ "$(id -u)" = 0 ] || { echo "setup-wasm-toolchain: must run as root to apt-get install: ${missing:-${PKGS[*]}}" >&2; exit 1; }

# Serialise concurrent callers (two builds started at once) and wait for any other
# apt/dpkg user instead of failing on its lock.
exec 9>/var/lock/chatwire-setup-wasm-toolchain.lock
flock 9
missing=$(missing_pkgs)
if [ -z "$missing" ] && toolchain_ok; then
    echo "setup-wasm-toolchain: installed meanwhile by a concurrent run ($(/usr/bin/rustc --version)); nothing to do"
    exit 0
fi

# All packages present but a file gone (deleted by hand): reinstall them all.
reinstall=()
[ -n "$missing" ] || reinstall=(--reinstall)

log=$(mktemp /tmp/setup-wasm-toolchain.XXXXXX.log)
export DEBIAN_FRONTEND=noninteractive
start=$SECONDS
{
    # A package is missing: refresh the lists first (on a fresh machine they are
    # stale or empty, and the 1.96 packages come from bookworm-security).
    apt-get update -o DPkg::Lock::Timeout=600 &&
    apt-get install -y --no-install-recommends "${reinstall[@]}" -o DPkg::Lock::Timeout=600 "${PKGS[@]}"
} >"$log" 2>&1 || {
    echo "setup-wasm-toolchain: apt-get failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
}

if ! toolchain_ok; then
    echo "setup-wasm-toolchain: installed ${PKGS[*]} but the tool chain is incomplete (need /usr/bin/{rustc,rustdoc,cargo,cargo-clippy}, $WASM_LD, std sources); see $log" >&2
    exit 1
fi
rm -f "$log"
echo "setup-wasm-toolchain: ${reinstall:+re}installed ${missing:+${missing//$'\n'/ }}${reinstall:+${PKGS[*]}} in $((SECONDS - start))s ($(/usr/bin/rustc --version), $(/usr/bin/cargo --version | cut -d' ' -f1-2))"
