#!/usr/bin/env bash
# The chatwire demo: alice and bob talk over TrueConf, tada.team and Nextcloud Talk, each
# through its own `chatwire connect`, against `chatwire sim` on loopback; the transcript shows
# who said what, what each side received and how the unread counts and read markers moved.
#
# Idempotent: builds the CLI exactly as README says (`cargo build --release -p chatwire-cli`,
# incremental, so an existing build is reused), then runs examples/demo.py (Python 3.11+,
# standard library only). Extra arguments go to the driver: --verbose shows every JSON line,
# --timeout N bounds each wait (default 10 s). Exits non-zero, saying which step did not
# happen, if the demo fails; every child process is stopped either way.
set -euo pipefail
cd "$(dirname "$0")/.."

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "demo: $1 not found: $2" >&2; exit 1; }
}
need cargo "install Rust (https://rustup.rs), then run this again"
need python3 "install Python 3.11 or newer"

echo "== building chatwire (cargo build --release -p chatwire-cli)" >&2
cargo build --release -p chatwire-cli

# Cargo puts the binary under CARGO_TARGET_DIR when that is set (relative to this directory).
exec python3 examples/demo.py --bin "${CARGO_TARGET_DIR:-target}/release/chatwire" "$@"
