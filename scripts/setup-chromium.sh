#!/usr/bin/env bash
# Install Debian's Chromium and ChromeDriver (/usr/bin/chromium, /usr/bin/chromedriver)
# for the browser tests, only if missing. Prints one line. Idempotent: a fast no-op
# (dpkg-query + file tests, ~20 ms) once installed.
#
# Why Debian's: no browser download works here (`npx playwright install` cannot reach
# its host); playwright-core (tools/package.json) drives /usr/bin/chromium instead, and
# wasm-bindgen-test-runner uses chromedriver (WASM_BINDGEN_USE_BROWSER=1
# CHROMEDRIVER=/usr/bin/chromedriver).
#
# Usage: scripts/setup-chromium.sh [--check]
#   --check  also run the smoke check tools/smoke/chromium.mjs: playwright-core opens a
#            page served by Node on 127.0.0.1 in two browser contexts and takes a
#            screenshot (target/smoke/chromium.png). Not part of setup: it takes seconds.
set -euo pipefail
SETUP_NAME=setup-chromium
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib/setup-common.sh
. "$REPO/scripts/lib/setup-common.sh"

check=
case "${1:-}" in
    "") ;;
    --check) check=1 ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

PKGS=(chromium chromium-driver)
CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver

browser_ok() { [ -z "$(apt_missing "${PKGS[@]}")" ] && [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; }
version() { dpkg-query -W -f='${Version}' chromium; }

smoke() {
    local out
    out=$(bash "$REPO/scripts/setup-node-tools.sh" 2>&1) || die "setup-node-tools failed: $out"
    mkdir -p "$REPO/target/smoke"
    node "$REPO/tools/smoke/chromium.mjs" "$REPO/target/smoke/chromium.png" ||
        die "smoke check failed: playwright-core could not drive $CHROMIUM (see above)"
}

if browser_ok; then
    line="already installed (chromium $(version), $CHROMIUM, $CHROMEDRIVER); nothing to do"
else
    setup_lock "$(machine_lock_dir)/chatwire-setup-chromium.lock"
    if browser_ok; then
        line="installed meanwhile by a concurrent run (chromium $(version)); nothing to do"
    else
        missing=$(apt_missing "${PKGS[@]}")
        # All packages "installed" yet a binary gone (deleted by hand): reinstall them.
        reinstall=()
        [ -n "$missing" ] || reinstall=(--reinstall)
        apt_install "${reinstall[@]}" "${PKGS[@]}"
        browser_ok || die "apt-get installed ${PKGS[*]} but $CHROMIUM or $CHROMEDRIVER is missing"
        line="installed ${PKGS[*]} in $(elapsed) (chromium $(version))"
    fi
fi

if [ -n "$check" ]; then
    smoke_line=$(smoke)
    line="$line; $smoke_line"
fi
echo "$SETUP_NAME: $line"
