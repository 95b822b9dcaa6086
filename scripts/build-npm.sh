#!/usr/bin/env bash
# Build the npm package `chatwire` (npm/) from bindings-wasm/ (crate chatwire-wasm).
#
# 1. The wasm: Debian's rustc-web for wasm32-unknown-unknown, exactly as
#    scripts/build-core-wasm.sh builds the core (full paths, -Zbuild-std, target dir of its
#    own: <repo>/target-wasm), with the `wasm-release` profile of the root Cargo.toml
#    (opt-level "z", LTO, one codegen unit, panic abort; no `strip`, which would drop the
#    `target_features` section wasm-bindgen reads), and the panic strategy `immediate-abort`
#    (RUSTFLAGS, for std too: rustc 1.96 made the old `panic_immediate_abort` std feature
#    this strategy; a profile cannot name it without an unstable cargo-feature that the host's
#    stable cargo would reject). A panic then traps at once instead of formatting a message
#    first, which wasm32-unknown-unknown's std discards anyway (its stderr writes nowhere):
#    JS sees the same `RuntimeError: unreachable` either way, without the formatting code.
#    For the same reason `-Zlocation-detail=none`: the file/line/column a panic would have
#    reported are never read, so they are not kept (the `Location` constants and file names).
#    The same again at the `wasm-node` profile (opt-level 3) for Node, where speed matters
#    and size does not (the file is loaded from disk).
# 2. wasm-bindgen (CLI pinned to the crate's exact version): `--target web` over the
#    wasm-release .wasm (ESM, for browsers and bundlers: npm/dist/web) and `--target nodejs`
#    over the wasm-node one (CommonJS that loads the wasm synchronously: npm/dist/node). The
#    package's own entry modules (npm/browser.mjs, npm/node.cjs, npm/node.mjs) wrap them.
# 3. wasm-opt from npm's binaryen (tools/node_modules; Debian's 108 corrupts wasm-bindgen
#    output) on each output .wasm: `-Oz` for web, `-O3` for node.
# 4. esbuild (tools/node_modules) minifies what a browser loads besides the wasm: the web glue
#    in place and npm/extras.mjs into dist/web/extras.mjs (browser.mjs imports that copy). The
#    two were 14.2 KB gzipped as written (extras.mjs is mostly comments), 7.2 KB minified.
#    Node keeps the readable files: it loads them from disk.
#
# Installs what it needs first (idempotent, fast no-ops when present): Debian's wasm tool
# chain, wasm-bindgen-cli, the npm tools.
#
# Usage: scripts/build-npm.sh            build npm/dist (all three protocols)
# Env:   CHATWIRE_FEATURES=trueconf      build with only these protocol classes (comma-separated;
#                                        default all) -- for size figures
#        NPM_OUT=DIR                     write the dist/ tree into DIR instead of npm/dist
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
bash scripts/setup-wasm-toolchain.sh
bash scripts/setup-wasm-bindgen.sh
bash scripts/setup-node-tools.sh

TARGET=wasm32-unknown-unknown
TARGET_DIR="$REPO/target-wasm"
PROFILE=wasm-release
# dist/node is built at the `wasm-node` profile (opt-level 3) and `wasm-opt -O3`: speed, not
# size, matters when Node loads the file from disk. dist/web stays the size-optimised one.
NODE_PROFILE=wasm-node
FEATURES=${CHATWIRE_FEATURES:-}
OUT=${NPM_OUT:-$REPO/npm/dist}
WASM_BINDGEN=${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen
WASM_OPT=$REPO/tools/node_modules/.bin/wasm-opt

# The browser build leaves out the core's `one-pass` reading (~9 KB gzipped for a fifth or so
# of the decoding time, which a page receiving a few messages a second never misses); the Node
# build, where speed is what counts, keeps it.
protocols=${FEATURES:-trueconf,tada,talk}
web_args=(--no-default-features --features "$protocols")
node_args=(--no-default-features --features "$protocols,one-pass")

start_us=${EPOCHREALTIME/./}
# shellcheck source-path=SCRIPTDIR source=lib/wasm-cargo.sh
. "$REPO/scripts/lib/wasm-cargo.sh"
for profile in "$PROFILE" "$NODE_PROFILE"; do
    if [ "$profile" = "$NODE_PROFILE" ]; then args=("${node_args[@]}"); else args=("${web_args[@]}"); fi
    wasm_cargo \
        RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
        CARGO_TARGET_DIR="$TARGET_DIR" \
        build -q -p chatwire-wasm --target "$TARGET" \
            -Zbuild-std=std,panic_abort --profile "$profile" "${args[@]}"
done

wasm="$TARGET_DIR/$TARGET/$PROFILE/chatwire_wasm.wasm"
node_wasm="$TARGET_DIR/$TARGET/$NODE_PROFILE/chatwire_wasm.wasm"
for f in "$wasm" "$node_wasm"; do
    [ -f "$f" ] || { echo "build-npm: cargo succeeded but $f is missing" >&2; exit 1; }
done

# wasm-bindgen + wasm-opt take most of a warm build: skip them when their input and this
# script are what produced the present output.
stamp_of() { cat "$wasm" "$node_wasm" "${BASH_SOURCE[0]}" "$REPO/npm/extras.mjs" | sha256sum | cut -d' ' -f1; }
STAMP="$OUT/.build-stamp"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(stamp_of)" ]; then
    echo "build-npm: ${OUT#"$REPO"/} is up to date with $(basename "$wasm")"
    exit 0
fi

rm -rf "$OUT"
mkdir -p "$OUT/web" "$OUT/node"
# --no-typescript: the package's types are npm/index.d.ts, written against core's serde shapes
# (wasm-bindgen would type every JsValue as `any`); bindings-wasm's tests keep them in step.
"$WASM_BINDGEN" "$wasm" --target web --out-dir "$OUT/web" --out-name chatwire --no-typescript
"$WASM_BINDGEN" "$node_wasm" --target nodejs --out-dir "$OUT/node" --out-name chatwire --no-typescript
for dir in web node; do
    f="$OUT/$dir/chatwire_bg.wasm"
    level=-Oz
    [ "$dir" = node ] && level=-O3
    "$WASM_OPT" "$level" "$f" -o "$f.opt"
    mv "$f.opt" "$f"
done
# CommonJS needs a .cjs name inside a "type": "module" package.
mv "$OUT/node/chatwire.js" "$OUT/node/chatwire.cjs"
# extras.cjs: npm/extras.mjs as CommonJS (two `export`s become `module.exports`).
sed -e 's/^export class /class /' -e 's/^export function /function /' "$REPO/npm/extras.mjs" \
    > "$OUT/extras.cjs"
printf "module.exports = { ChatwireError, install };\n" >> "$OUT/extras.cjs"
# Only whitespace, syntax and local names change: exports, property names (wasm-bindgen's
# import keys) and `import.meta.url` stay as they are.
ESBUILD=$REPO/tools/node_modules/.bin/esbuild
"$ESBUILD" --minify --format=esm --target=es2022 --log-level=warning "$REPO/npm/extras.mjs" \
    --outfile="$OUT/web/extras.mjs"
"$ESBUILD" --minify --format=esm --target=es2022 --log-level=warning "$OUT/web/chatwire.js" \
    --outfile="$OUT/web/chatwire.min.js"
mv "$OUT/web/chatwire.min.js" "$OUT/web/chatwire.js"

stamp_of > "$STAMP"

elapsed_ms=$(( (${EPOCHREALTIME/./} - start_us) / 1000 ))
size() { stat -c %s "$1"; }
gz() { gzip -9 -c "$1" | wc -c; }
w="$OUT/web/chatwire_bg.wasm"
# The glue is all the JS a browser loads: wasm-bindgen's module, extras and browser.mjs.
js=("$OUT/web/chatwire.js" "$OUT/web/extras.mjs" "$REPO/npm/browser.mjs")
js_size=0 js_gz=0
for f in "${js[@]}"; do js_size=$((js_size + $(size "$f"))) js_gz=$((js_gz + $(gz "$f"))); done
printf 'build-npm: %s built in %d.%01ds (features: %s); web wasm %s B (%s B gzipped), glue %s B (%s B gzipped)\n' \
    "${OUT#"$REPO"/}" "$((elapsed_ms / 1000))" "$((elapsed_ms % 1000 / 100))" "${FEATURES:-all}" \
    "$(size "$w")" "$(gz "$w")" "$js_size" "$js_gz"
