#!/usr/bin/env bash
# Build the Kotlin side of the UniFFI binding: generate Kotlin from the release library
# (the workspace's uniffi-bindgen, library mode), then compile it with kotlinc together with
# the JVM host (bindings-uniffi/kotlin), examples/kotlin/EchoBot.kt and the Kotlin tests into
# target/kotlin/chatwire.jar. Tool chain: scripts/setup-kotlin.sh (kotlinc from npm, JNA and
# kotlinx-coroutines 1.0.1 from Debian); the library is the one scripts/build-python.sh builds
# (maturin). Skips kotlinc (~1 min) when no input changed.
#
# Run with:  java -Djna.library.path=target/release -cp target/kotlin/chatwire.jar:$CLASSPATH …
# Usage: scripts/build-kotlin.sh [-q]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
quiet=
[ "${1:-}" = -q ] && quiet=1

eval "$(bash scripts/setup-kotlin.sh --env)"
OUT=$REPO/target/kotlin
mkdir -p "$OUT"
nice -n 5 cargo build -q -p chatwire-uniffi-bindgen
# The release library as maturin builds it (a plain `cargo build` of it would invalidate
# maturin's build and the other way round: they build with different flags).
bash scripts/build-python.sh -q
rm -rf "$OUT/gen.new"
target/debug/uniffi-bindgen generate --library target/release/libchatwire_ffi.so --language kotlin \
    --no-format --out-dir "$OUT/gen.new" >"$OUT/bindgen.log" 2>&1 || { cat "$OUT/bindgen.log" >&2; exit 1; }
rm -rf "$OUT/gen" && mv "$OUT/gen.new" "$OUT/gen"

SOURCES=("$OUT/gen" bindings-uniffi/kotlin examples/kotlin/EchoBot.kt bindings-uniffi/tests/kotlin)
stamp=$( { find "${SOURCES[@]}" -type f -name '*.kt' -print0 | sort -z | xargs -0 sha256sum; echo "$CHATWIRE_KOTLIN_CLASSPATH"; } | sha256sum | cut -d' ' -f1)
if [ -f "$OUT/chatwire.jar" ] && [ "$(cat "$OUT/.stamp" 2>/dev/null)" = "$stamp" ]; then
    [ -n "$quiet" ] || echo "build-kotlin: target/kotlin/chatwire.jar is up to date"
    exit 0
fi
nice -n 5 "$KOTLINC" -nowarn -cp "$CHATWIRE_KOTLIN_CLASSPATH" "${SOURCES[@]}" -d "$OUT/chatwire.jar" >"$OUT/kotlinc.log" 2>&1 ||
    { cat "$OUT/kotlinc.log" >&2; echo "build-kotlin: kotlinc failed" >&2; exit 1; }
echo "$stamp" >"$OUT/.stamp"
[ -n "$quiet" ] || echo "build-kotlin: built target/kotlin/chatwire.jar"
