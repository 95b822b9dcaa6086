#!/usr/bin/env bash
# Stage the web demo into DIR for `chatwire sim --static DIR`: examples/web/* and the built
# npm package under DIR/chatwire/ (only what a browser loads). Used by `demo.sh --web` and
# the browser test. Run scripts/build-npm.sh first.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
DIR=${1:?usage: stage-web.sh DIR}
[ -f "$REPO/npm/dist/web/chatwire_bg.wasm" ] || { echo "stage-web: run scripts/build-npm.sh first" >&2; exit 1; }
rm -rf "$DIR"
mkdir -p "$DIR/chatwire/dist/web"
cp "$REPO"/examples/web/* "$DIR/"
cp "$REPO/npm/browser.mjs" "$DIR/chatwire/"
cp "$REPO"/npm/dist/web/{chatwire.js,extras.mjs,chatwire_bg.wasm} "$DIR/chatwire/dist/web/"
