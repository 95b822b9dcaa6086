#!/usr/bin/env bash
# Install the npm tools the bindings build and test with, pinned by tools/package.json
# and tools/package-lock.json, into tools/node_modules (this worktree's own). Prints one
# line naming the binaries. Idempotent: a fast no-op (a hash of the lock file and a few
# file tests, ~10 ms) unless the lock changed or a module is missing; then `npm ci`.
#
# What and why (versions in tools/package.json):
#   binaryen         wasm-opt 132 for `wasm-opt -Oz` on wasm-bindgen output (Debian's
#                    binaryen 108 corrupts it)
#   playwright-core  drives Debian's /usr/bin/chromium for the browser tests (no browser
#                    download: `npx playwright install` cannot reach its host here)
#   ws               WebSocket for Node 20, which has no global one by default
#   typescript       tsc, to type-check the generated .d.ts
#   kotlin-compiler  the full JVM kotlinc (bin/kotlinc, lib/*.jar; needs Java >= 11,
#                    Java 17 is on these machines); its npm "bin" is only kotlinc-js,
#                    so kotlinc is called by its path inside the package
#
# Env: NPM  the npm to use (default: npm on PATH).
set -euo pipefail
SETUP_NAME=setup-node-tools
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib/setup-common.sh
. "$REPO/scripts/lib/setup-common.sh"

TOOLS=$REPO/tools
MODULES=$TOOLS/node_modules
# Written after a successful `npm ci`; `npm ci` deletes node_modules first, so a run
# cut short leaves no stamp and the next run installs again.
STAMP=$MODULES/.chatwire-setup-stamp

if [ ! -f "$TOOLS/package.json" ] || [ ! -f "$TOOLS/package-lock.json" ]; then
    die "missing $TOOLS/package.json or package-lock.json (both are committed)"
fi

BINS=(
    "wasm-opt=$MODULES/.bin/wasm-opt"
    "tsc=$MODULES/.bin/tsc"
    "esbuild=$MODULES/.bin/esbuild"
    "kotlinc=$MODULES/kotlin-compiler/bin/kotlinc"
)
FILES=("$MODULES/playwright-core/package.json" "$MODULES/ws/package.json")

want_stamp() { cat "$TOOLS/package.json" "$TOOLS/package-lock.json" | sha256sum | cut -d' ' -f1; }

modules_ok() {
    local b f
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ] || return 1
    for b in "${BINS[@]}"; do [ -x "${b#*=}" ] || return 1; done
    for f in "${FILES[@]}"; do [ -f "$f" ] || return 1; done
}

paths() {
    local b
    for b in "${BINS[@]}"; do printf ' %s' "$b"; done
    printf ' playwright-core=%s ws=%s' "$MODULES/playwright-core" "$MODULES/ws"
}

if modules_ok; then
    echo "$SETUP_NAME: already installed;$(paths)"
    exit 0
fi

NPM=${NPM:-npm}
command -v node >/dev/null || die "node not found on PATH (Node.js >= 20 is needed)"
command -v "$NPM" >/dev/null || die "$NPM not found on PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || die "Node.js >= 20 needed, found $(node --version)"

setup_lock "$REPO/target/.setup-locks/node-tools.lock"
if modules_ok; then
    echo "$SETUP_NAME: installed meanwhile by a concurrent run;$(paths)"
    exit 0
fi

log=$(mktemp "/tmp/$SETUP_NAME.XXXXXX.log")
# --ignore-scripts: none of these packages needs an install script, and skipping them
# keeps a package from downloading anything of its own. Only the lock's exact versions.
(cd "$TOOLS" && nice -n 5 "$NPM" ci --ignore-scripts --no-audit --no-fund) >"$log" 2>&1 ||
    die_log "$log" "npm ci in $TOOLS failed"
want_stamp >"$STAMP"
modules_ok || die_log "$log" "npm ci finished but a tool is missing (need${BINS[*]/#/ } ${FILES[*]})"
rm -f "$log"
echo "$SETUP_NAME: installed in $(elapsed);$(paths)"
