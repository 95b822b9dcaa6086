#!/usr/bin/env bash
# Kotlin tests of the UniFFI binding (bindings-uniffi/tests/kotlin) against `chatwire sim`:
# builds with scripts/build-kotlin.sh, runs on the JVM with JNA finding the release library.
# The last line is the summary: `kotlin tests: N passed, M failed`.
#
# Env: CHATWIRE_BIN  the chatwire binary hosting `chatwire sim` (default: this workspace's
#                    target/debug/chatwire, built here with `cargo build -p chatwire-cli`).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"

bash scripts/build-kotlin.sh -q
eval "$(bash scripts/setup-kotlin.sh --env)"
if [ -z "${CHATWIRE_BIN:-}" ]; then
    nice -n 5 cargo build -q -p chatwire-cli
    CHATWIRE_BIN=$REPO/target/debug/chatwire
fi
export CHATWIRE_BIN
exec java -Djna.library.path="$REPO/target/release" \
    -cp "$REPO/target/kotlin/chatwire.jar:$CHATWIRE_KOTLIN_CLASSPATH" ChatwireTestKt
