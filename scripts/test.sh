#!/usr/bin/env bash
# Runs every check and test of the project, installing what it needs on a fresh machine
# (idempotent: tools already present are reused). This is the command README.md names and
# .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
# The build and test scripts find their artifacts under <repo>/target (the wheel, the FFI
# library, the CLI): a target dir elsewhere would leave them looking in the wrong place.
unset CARGO_TARGET_DIR

step() { printf '\n== %s\n' "$*"; }

step "format"
cargo fmt --all -- --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "each protocol alone (core and binding cargo features)"
for protocol in trueconf tada talk; do
    cargo check -q --locked -p chatwire -p chatwire-wasm --no-default-features --features "chatwire/$protocol,chatwire-wasm/$protocol"
done

step "docs (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --locked -p chatwire -p chatwire-native

step "tests"
cargo test --workspace --locked

# The fuzz targets' bodies under a seeded mutation loop on stable (fuzz/ is its own workspace;
# the libFuzzer runs are `cargo +nightly fuzz run`, see RELIABILITY.md).
step "fuzz targets, stable mutation loop (30 000 inputs per target)"
CHATWIRE_FUZZ_ITERS=30000 cargo test --release --locked --manifest-path fuzz/Cargo.toml \
    --no-default-features --lib --test stable

# The host tests below share the CLI `cargo test` just built for `chatwire sim` / `connect`.
step "CLI for the host tests"
cargo build --locked -p chatwire-cli
export CHATWIRE_BIN="$PWD/target/debug/chatwire"

step "fault soak (RELIABILITY.md; 15 cells x 1000 messages on the CLI just built, about two minutes)"
./scripts/soak.sh

step "TrueConf's official Python SDK against chatwire sim"
./scripts/test-trueconf-interop.sh

step "core builds for wasm32-unknown-unknown"
./scripts/build-core-wasm.sh -q

step "npm package: build, TypeScript drift check, node:test, npm pack, headless Chromium"
./scripts/test-npm.sh

step "Python package (UniFFI wheel) against chatwire sim"
./scripts/test-python.sh

step "Kotlin (UniFFI, JNA) against chatwire sim"
./scripts/test-kotlin.sh

step "all checks passed"
