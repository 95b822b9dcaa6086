#!/usr/bin/env bash
# Install the wasm-bindgen CLI (`wasm-bindgen`, `wasm-bindgen-test-runner`) at exactly
# the version of the `wasm-bindgen` crate, only if it is missing. Prints one line.
# Idempotent: a fast no-op (two `--version` calls, ~10 ms) once installed.
#
# The CLI must equal the crate version exactly (its output embeds a schema version the
# crate checks at start-up), so the version is read from Cargo.lock when a
# `wasm-bindgen` package is locked there; the bindings pin the crate with `=`.
#
# Installed by `cargo install` into $CARGO_HOME/bin (~/.cargo/bin): the machine keeps it
# between sessions and CI runs, and every worktree shares the one copy. Cold it takes
# 9-17 minutes on 2 cores (~200 crates), so it is built once and reused.
# No `--locked`: the CLI's own Cargo.lock names a dependency version that is no longer
# on crates.io, so the install resolves fresh.
#
# Env: WASM_BINDGEN_VERSION  overrides the version (default: Cargo.lock, else below).
# See shared/DESIGN.md, "Tool chain on these machines".
set -euo pipefail
SETUP_NAME=setup-wasm-bindgen
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib/setup-common.sh
. "$REPO/scripts/lib/setup-common.sh"

DEFAULT_VERSION=0.2.130

# The version(s) of the `wasm-bindgen` package in Cargo.lock, one per line.
locked_versions() {
    [ -f "$REPO/Cargo.lock" ] || return 0
    awk '/^\[\[package\]\]/ { name = "" }
         /^name = / { name = $3 }
         /^version = / && name == "\"wasm-bindgen\"" { gsub(/"/, "", $3); print $3 }' "$REPO/Cargo.lock" | sort -u
}

if [ -n "${WASM_BINDGEN_VERSION:-}" ]; then
    VERSION=$WASM_BINDGEN_VERSION
    from="WASM_BINDGEN_VERSION"
else
    locked=$(locked_versions)
    case "$(printf '%s' "$locked" | grep -c .)" in
        0) VERSION=$DEFAULT_VERSION from="default" ;;
        1) VERSION=$locked from="Cargo.lock" ;;
        *) die "Cargo.lock locks several wasm-bindgen versions (${locked//$'\n'/, }); one CLI cannot serve them all: unify them first" ;;
    esac
fi

CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
BIN=$CARGO_HOME/bin

# Both binaries present and reporting VERSION ("wasm-bindgen 0.2.130",
# "wasm-bindgen-test-runner 0.2.130").
installed_ok() {
    local b
    for b in wasm-bindgen wasm-bindgen-test-runner; do
        [ -x "$BIN/$b" ] || return 1
        [ "$("$BIN/$b" --version 2>/dev/null)" = "$b $VERSION" ] || return 1
    done
}

if installed_ok; then
    echo "$SETUP_NAME: already installed (wasm-bindgen $VERSION from $from, in $BIN); nothing to do"
    exit 0
fi

command -v cargo >/dev/null || die "cargo not found on PATH (rustup's cargo builds the CLI)"

setup_lock "$(machine_lock_dir)/chatwire-setup-wasm-bindgen.lock"
if installed_ok; then
    echo "$SETUP_NAME: installed meanwhile by a concurrent run (wasm-bindgen $VERSION, in $BIN); nothing to do"
    exit 0
fi

# An install started by hand (not holding our lock) builds the same thing: wait for it
# rather than building twice on 2 cores, then use its result if it matches.
# (Matched on the cargo process's own command line, not on shells that mention it.)
# Bounded: after 40 minutes it is presumed stuck and this run builds its own.
waited=
for _ in $(seq 240); do
    pgrep -f '^[^ ]*cargo install wasm-bindgen-cli' >/dev/null || break
    [ -n "$waited" ] || echo "$SETUP_NAME: waiting for a running 'cargo install wasm-bindgen-cli' to finish" >&2
    waited=1
    sleep 10
done
if [ -n "$waited" ] && installed_ok; then
    echo "$SETUP_NAME: installed by a concurrent cargo install (wasm-bindgen $VERSION, in $BIN) after $(elapsed)"
    exit 0
fi

log=$(mktemp "/tmp/$SETUP_NAME.XXXXXX.log")
nice -n 5 cargo install wasm-bindgen-cli --version "=$VERSION" --root "$CARGO_HOME" >"$log" 2>&1 ||
    die_log "$log" "cargo install wasm-bindgen-cli --version =$VERSION failed"
installed_ok || die_log "$log" "installed wasm-bindgen-cli $VERSION but $BIN/wasm-bindgen{,-test-runner} --version do not report it"
rm -f "$log"
echo "$SETUP_NAME: installed wasm-bindgen-cli $VERSION (from $from) into $BIN in $(elapsed)"
