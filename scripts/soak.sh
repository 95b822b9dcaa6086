#!/usr/bin/env bash
# The fault soak of RELIABILITY.md: for each protocol, two `chatwire connect` clients exchange
# numbered messages through `chatwire sim` under drops, delays, duplicates, reorders, malformed
# frames, disconnects, Talk 429/503 bursts and TrueConf token expiry; every message must be
# delivered once and in order (or reported failed with a reason) and read state must equal the
# server's. Prints the table and `N passed, N failed` as its last line; exits non-zero when a
# cell failed.
#
#   ./scripts/soak.sh            # every cell, 1000 messages each (about two minutes when all pass;
#                                # the test command's run)
#   ./scripts/soak.sh --quick    # five cells of 200 messages (~20 s, while working on a fix)
#
# Idempotent: builds the CLI as README says (`cargo build --release -p chatwire-cli`,
# incremental, so an existing build is reused; with CHATWIRE_BIN set, that binary instead), then
# runs tests/soak/soak.py (Python 3.11+,
# standard library only). Other arguments go to the driver (--messages N, --seed N,
# --only PROTOCOL[/MIX], --settle S, --verbose); every child process is stopped either way.
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "soak: $1 not found: $2" >&2; exit 1; }
}
need cargo "install Rust (https://rustup.rs), then run this again"
need python3 "install Python 3.11 or newer"

# The test command has built a (debug) CLI already and names it in CHATWIRE_BIN: use it rather
# than spend minutes on a release build.
if [[ -n "${CHATWIRE_BIN:-}" ]]; then
    echo "== using CHATWIRE_BIN=$CHATWIRE_BIN" >&2
    exec python3 tests/soak/soak.py --bin "$CHATWIRE_BIN" "$@"
fi

echo "== building chatwire (cargo build --release -p chatwire-cli)" >&2
cargo build --release -p chatwire-cli

# Cargo puts the binary under CARGO_TARGET_DIR when that is set (relative to this directory).
exec python3 tests/soak/soak.py --bin "${CARGO_TARGET_DIR:-target}/release/chatwire" "$@"
