#!/usr/bin/env bash
# Interop test: TrueConf's official Python SDK (python-trueconf-bot 1.5.4, unpatched) against
# `chatwire sim`, with a second user driven by `chatwire connect`
# (tests/interop/trueconf_official_sdk.py). Sets up what it needs idempotently:
#   - a venv of the project's own at target/venv-trueconf-interop with the pinned SDK
#     (reused when it already holds that version),
#   - libmagic (the SDK imports python-magic, which needs the C library) via apt when missing,
#   - the chatwire binary (cargo build -p chatwire-cli).
# Its last line is `N passed, N failed`; it exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."

SDK_VERSION=1.5.4
VENV=target/venv-trueconf-interop
PY=python3

if ! command -v "$PY" >/dev/null 2>&1; then
    echo "test-trueconf-interop: python3 is required" >&2
    exit 1
fi

# Debian packages: installed only when missing, and only where apt exists.
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "test-trueconf-interop: missing $*; install it and run this again" >&2
        exit 1
    fi
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

if [ ! -x "$VENV/bin/python" ]; then
    # Debian's python3 lacks ensurepip until python3-venv is installed.
    if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        apt_install python3-venv
        "$PY" -m venv "$VENV"
    fi
fi
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('python-trueconf-bot') != '$SDK_VERSION')" 2>/dev/null; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "python-trueconf-bot==$SDK_VERSION"
fi

# python-magic loads libmagic at import; without it the SDK cannot even be imported.
if ! "$VENV/bin/python" -c "import magic" >/dev/null 2>&1; then
    apt_install libmagic1
fi

nice -n 5 cargo build --quiet -p chatwire-cli

exec "$VENV/bin/python" tests/interop/trueconf_official_sdk.py "${CHATWIRE_BIN:-target/debug/chatwire}"
