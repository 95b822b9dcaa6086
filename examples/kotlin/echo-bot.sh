#!/usr/bin/env bash
# Runs examples/kotlin/EchoBot.kt (built by scripts/build-kotlin.sh) with the flags of the
# Python bot: --protocol trueconf|tada|talk --server URL --user --password --token --team --room.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
# Build once with scripts/build-kotlin.sh (this does it when the jar is missing).
[ -f "$REPO/target/kotlin/chatwire.jar" ] || bash "$REPO/scripts/build-kotlin.sh" -q
eval "$(bash "$REPO/scripts/setup-kotlin.sh" --env)"
exec java -Djna.library.path="$REPO/target/release" \
    -cp "$REPO/target/kotlin/chatwire.jar:$CHATWIRE_KOTLIN_CLASSPATH" EchoBotKt "$@"
