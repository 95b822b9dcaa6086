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
#
# `demo.sh --web`: the web demo instead (examples/web/, a chat page on the npm package for
# TrueConf, tada and Talk):
# builds the package (scripts/build-npm.sh) and the CLI, serves the page same-origin with the
# simulator (`chatwire sim --static`, strict CORS as Nextcloud), prints the URL and waits
# (Ctrl-C stops it). Pick a protocol and log in as alice / alice-pass (tada: session token
# alice-token) in one window and bob / bob-pass (bob-token) in another (a private window: each
# needs its own cookie).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--web" ]; then
    shift
    ./scripts/build-npm.sh
    echo "== building chatwire (cargo build --release -p chatwire-cli)" >&2
    cargo build --release -p chatwire-cli
    site="${CARGO_TARGET_DIR:-target}/web-demo"
    ./scripts/lib/stage-web.sh "$site"
    bin="${CARGO_TARGET_DIR:-target}/release/chatwire"
    out=$(mktemp)
    "$bin" sim --protocol all --listen "${DEMO_LISTEN:-127.0.0.1:0}" --cors strict --static "$site" "$@" >"$out" &
    sim=$!
    trap 'kill $sim 2>/dev/null; rm -f "$out"' EXIT INT TERM
    for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
    url=$(head -1 "$out" | sed -E 's/.*"listening":"([^"]+)".*/\1/')
    echo "web demo: $url/index.html  (alice / alice-pass, bob / bob-pass; tada tokens alice-token, bob-token; Ctrl-C stops)"
    wait "$sim"
    exit
fi

need() {
    command -v "$1" >/dev/null 2>&1 || { echo "demo: $1 not found: $2" >&2; exit 1; }
}
need cargo "install Rust (https://rustup.rs), then run this again"
need python3 "install Python 3.11 or newer"

echo "== building chatwire (cargo build --release -p chatwire-cli)" >&2
cargo build --release -p chatwire-cli

# Cargo puts the binary under CARGO_TARGET_DIR when that is set (relative to this directory).
exec python3 examples/demo.py --bin "${CARGO_TARGET_DIR:-target}/release/chatwire" "$@"
