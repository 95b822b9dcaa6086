#!/usr/bin/env bash
# Build the sans-IO core (crate `chatwire`, core/) for wasm32-unknown-unknown, so a
# wasm-incompatible dependency or API fails the test command the day it enters.
#
# Uses Debian's rustc-web/cargo-web (installed on demand by setup-wasm-toolchain.sh)
# by FULL PATH: rustup's shims come first on PATH and rustup has no wasm32 target here.
# Debian's rustc is a stable build without a prebuilt wasm32 std, so std is built from
# Debian's std sources with -Zbuild-std (RUSTC_BOOTSTRAP=1 unlocks -Z on stable).
#
# Only `-p chatwire` is built: cli and sim (tokio etc.) are workspace members but are
# not compiled for wasm. Cargo still *resolves* the whole workspace, using the same
# Cargo.lock as the host build (Debian's cargo 1.96 reads/writes the same lock v4
# format as rustup's 1.95; it only writes it when a manifest changed, as any cargo would).
#
# Output goes to <repo>/target-wasm (git-ignored by /target-*): a target dir of its own,
# because the host build (rustup rustc) and this one (Debian rustc) would otherwise
# invalidate each other's artifacts.
#
# Usage: scripts/build-core-wasm.sh [extra cargo args...]   (from any directory)
# Env:   WASM_PROFILE=release  to build the release profile. Default dev: measured on
#        2 cores it is faster from clean (41 s vs 88 s) and ~10x faster to rebuild after
#        a change in core (3 s vs 43 s, incremental compilation); building is the check.
#        CARGO_PROFILE_DEV_DEBUG defaults to 0 here: no debuginfo for std and the crates
#        (~20% less CPU, ~40% less disk; nothing in this check needs it).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
bash "$REPO/scripts/setup-wasm-toolchain.sh"

cd "$REPO"
TARGET=wasm32-unknown-unknown
TARGET_DIR="$REPO/target-wasm"
PROFILE=${WASM_PROFILE:-dev}
case "$PROFILE" in
    dev|debug) PROFILE=dev; PROFILE_ARGS=(); OUT=debug ;;
    release)   PROFILE_ARGS=(--release); OUT=release ;;
    *) echo "build-core-wasm: WASM_PROFILE must be dev or release, not '$PROFILE'" >&2; exit 2 ;;
esac

start_us=${EPOCHREALTIME/./}
# shellcheck source-path=SCRIPTDIR source=lib/wasm-cargo.sh
. "$REPO/scripts/lib/wasm-cargo.sh"
wasm_cargo \
    CARGO_TARGET_DIR="$TARGET_DIR" \
    CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-0}" \
    build -p chatwire --target "$TARGET" -Zbuild-std=std,panic_abort \
        "${PROFILE_ARGS[@]}" "$@"
elapsed_ms=$(( (${EPOCHREALTIME/./} - start_us) / 1000 ))

rlib="$TARGET_DIR/$TARGET/$OUT/libchatwire.rlib"
[ -f "$rlib" ] || { echo "build-core-wasm: build succeeded but $rlib is missing" >&2; exit 1; }
size=$(stat -c %s "$rlib")
printf 'build-core-wasm: chatwire builds for %s (%s profile) in %d.%01ds; %s is %s bytes (%s KiB)\n' \
    "$TARGET" "$PROFILE" "$((elapsed_ms / 1000))" "$((elapsed_ms % 1000 / 100))" "${rlib#"$REPO"/}" "$size" "$((size / 1024))"
