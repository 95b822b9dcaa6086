#!/usr/bin/env bash
# Set up every tool the project's builds and tests use (each script installs only what
# is missing; all present, the whole run takes well under a second). One line per
# script; a failing one does not stop the others, and the run then exits 1 naming it.
#
# Usage: scripts/setup-all.sh [--check]
#   --check  also run the smoke checks of setup-chromium.sh and setup-kotlin.sh
#
# Cold, wasm-bindgen-cli dominates (cargo builds it: 9-17 minutes on 2 cores); it runs
# in the background beside the others (apt and npm wait on the network, not the CPU).
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

check=()
case "${1:-}" in
    "") ;;
    --check) check=(--check) ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

failed=()
run() {
    bash "$REPO/scripts/$1" "${@:2}" || failed+=("$1")
}

bindgen_out=$(mktemp /tmp/setup-all.XXXXXX)
trap 'rm -f "$bindgen_out"' EXIT
bash "$REPO/scripts/setup-wasm-bindgen.sh" >"$bindgen_out" 2>&1 &
bindgen_pid=$!

run setup-wasm-toolchain.sh
run setup-node-tools.sh
run setup-chromium.sh "${check[@]}"
run setup-python.sh
run setup-kotlin.sh "${check[@]}"

wait "$bindgen_pid" || failed+=(setup-wasm-bindgen.sh)
cat "$bindgen_out"

if [ ${#failed[@]} -gt 0 ]; then
    echo "setup-all: failed: ${failed[*]}" >&2
    exit 1
fi
