#!/usr/bin/env bash
# Runs every check and test of the project, installing what it needs on a fresh machine
# (idempotent: tools already present are reused). This is the command README.md names and
# .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "docs (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked -p chatwire -p chatwire-native

step "tests"
cargo test --workspace --locked

step "TrueConf's official Python SDK against chatwire sim"
./scripts/test-trueconf-interop.sh

step "core builds for wasm32-unknown-unknown"
./scripts/build-core-wasm.sh -q

step "all checks passed"
