#!/usr/bin/env bash
# Install cargo-fuzz (the `cargo fuzz` subcommand that builds fuzz/ with libFuzzer and the
# sanitizers) from crates.io, only if it is missing. Prints one line. Idempotent: a fast
# no-op (one `--version` call) once installed. Needs the nightly tool chain to *run* the
# targets (`cargo +nightly fuzz run TARGET`); the stable mutation harness
# (`cargo test --release --manifest-path fuzz/Cargo.toml --no-default-features`) needs neither.
#
# Installed by `cargo install` into $CARGO_HOME/bin (~/.cargo/bin): every worktree shares
# the one copy. Cold it takes a few minutes on 2 cores.
#
# Env: CARGO_FUZZ_VERSION  overrides the version installed (default below).
set -euo pipefail
SETUP_NAME=setup-cargo-fuzz
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib/setup-common.sh
. "$REPO/scripts/lib/setup-common.sh"

VERSION=${CARGO_FUZZ_VERSION:-0.13.2}
CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
BIN=$CARGO_HOME/bin

# `cargo-fuzz --version` prints "cargo-fuzz 0.13.2".
installed_ok() {
    [ -x "$BIN/cargo-fuzz" ] && [ "$("$BIN/cargo-fuzz" --version 2>/dev/null)" = "cargo-fuzz $VERSION" ]
}

if installed_ok; then
    echo "$SETUP_NAME: already installed (cargo-fuzz $VERSION, in $BIN); nothing to do"
    exit 0
fi

command -v cargo >/dev/null || die "cargo not found on PATH (rustup's cargo builds cargo-fuzz)"

setup_lock "$(machine_lock_dir)/chatwire-setup-cargo-fuzz.lock"
if installed_ok; then
    echo "$SETUP_NAME: installed meanwhile by a concurrent run (cargo-fuzz $VERSION, in $BIN); nothing to do"
    exit 0
fi

log=$(mktemp "/tmp/$SETUP_NAME.XXXXXX.log")
nice -n 5 cargo install cargo-fuzz --locked --version "=$VERSION" --root "$CARGO_HOME" >"$log" 2>&1 ||
    die_log "$log" "cargo install cargo-fuzz --version =$VERSION failed"
installed_ok || die_log "$log" "installed cargo-fuzz $VERSION but $BIN/cargo-fuzz --version does not report it"
rm -f "$log"
echo "$SETUP_NAME: installed cargo-fuzz $VERSION into $BIN in $(elapsed)"
