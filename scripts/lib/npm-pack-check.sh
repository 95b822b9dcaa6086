#!/usr/bin/env bash
# `npm pack` npm/, install the tarball in a fresh folder DIR (offline: the package has no
# dependencies), then run npm/test/pack/smoke.mjs there against a simulator and type-check
# npm/test/pack/typed.ts against the installed declarations. Called by scripts/test-npm.sh.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
DIR=${1:?usage: npm-pack-check.sh DIR}
: "${CHATWIRE_BIN:?set CHATWIRE_BIN}"
rm -rf "$DIR"
mkdir -p "$DIR/app"
tarball=$(cd "$DIR" && npm pack --silent "$REPO/npm")
echo "npm-pack-check: packed $tarball ($(stat -c %s "$DIR/$tarball") bytes)"
cd "$DIR/app"
printf '{ "name": "pack-check", "private": true, "type": "module" }\n' > package.json
npm install --silent --no-audit --no-fund --offline "../$tarball"
cp "$REPO/npm/test/pack/smoke.mjs" "$REPO/npm/test/pack/typed.ts" .

"$CHATWIRE_BIN" sim --protocol all --listen 127.0.0.1:0 > sim.out 2> sim.err &
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
for _ in $(seq 50); do [ -s sim.out ] && break; sleep 0.1; done
url=$(head -1 sim.out | sed -E 's/.*"listening":"([^"]+)".*/\1/')
node smoke.mjs "$url" "$REPO/tools/node_modules/ws"
"$REPO/tools/node_modules/.bin/tsc" --noEmit --strict --module nodenext --moduleResolution nodenext \
    --target es2022 --lib es2022,esnext.disposable --types '' typed.ts
echo "npm-pack-check: installed package runs and type-checks in $DIR/app"
