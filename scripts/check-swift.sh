#!/usr/bin/env bash
# Keeps the Swift package in bindings-uniffi/swift/ in step with the Rust API: generates the
# Swift sources, C header and modulemap with the workspace's uniffi-bindgen (library mode, on
# the release library build-python.sh builds) and compares them with the checked-in files.
# No Swift tool chain exists on these machines: this checks generation, not compilation.
#
# Usage: scripts/check-swift.sh [-q] [--update]
#   --update  write the generated files into the package instead of comparing
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
quiet= update=
for a in "$@"; do
    case $a in
        -q) quiet=1 ;;
        --update) update=1 ;;
        *) echo "usage: $0 [-q] [--update]" >&2; exit 2 ;;
    esac
done

LIB=$REPO/target/release/libchatwire_ffi.so
PKG=$REPO/bindings-uniffi/swift
nice -n 5 cargo build -q -p chatwire-uniffi-bindgen
# The release library as maturin builds it (a plain `cargo build` of it would invalidate
# maturin's build and the other way round: they build with different flags).
bash scripts/build-python.sh -q
gen=$(mktemp -d /tmp/check-swift.XXXXXX)
trap 'rm -rf "$gen"' EXIT
"$REPO/target/debug/uniffi-bindgen" generate --library "$LIB" --language swift --no-format \
    --out-dir "$gen/raw" >"$gen/log" 2>&1 || { cat "$gen/log" >&2; exit 1; }

# The package layout: the C module (header + module.modulemap) and the Swift module.
mkdir -p "$gen/pkg/Sources/ChatwireFFI/include" "$gen/pkg/Sources/Chatwire"
cp "$gen/raw/chatwire_ffiFFI.h" "$gen/pkg/Sources/ChatwireFFI/include/chatwire_ffiFFI.h"
cp "$gen/raw/chatwire_ffiFFI.modulemap" "$gen/pkg/Sources/ChatwireFFI/include/module.modulemap"
cp "$gen/raw/chatwire_ffi.swift" "$gen/pkg/Sources/Chatwire/chatwire_ffi.swift"

if [ -n "$update" ]; then
    rm -rf "$PKG/Sources"
    cp -r "$gen/pkg/Sources" "$PKG/Sources"
    [ -n "$quiet" ] || echo "check-swift: wrote $PKG/Sources"
    exit 0
fi
if ! diff -r "$gen/pkg/Sources" "$PKG/Sources" >"$gen/diff"; then
    head -40 "$gen/diff" >&2
    echo "check-swift: bindings-uniffi/swift/Sources is out of date with the Rust API; run scripts/check-swift.sh --update" >&2
    exit 1
fi
[ -n "$quiet" ] || echo "check-swift: bindings-uniffi/swift/Sources matches the generator"
