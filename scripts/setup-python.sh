#!/usr/bin/env bash
# Create the Python venv for the Python binding's build and tests at target/venv (this
# worktree's own) with the pinned tools of tools/python-requirements.txt (maturin,
# pytest, pytest-asyncio, websockets, aiohttp). Prints one line. Idempotent: a fast
# no-op (a hash of the requirements file and the interpreter's path, ~10 ms) unless the
# requirements changed or the venv is missing or broken; then pip installs.
#
# On a change the venv is kept and `pip install -r` moves every pin to its new version
# (what else was installed into it, e.g. the chatwire wheel by build-python.sh, stays).
#
# Env: PYTHON  the interpreter to build the venv from (default: python3.11, else python3;
#              3.9 or newer).
# Use: target/venv/bin/python, target/venv/bin/maturin, target/venv/bin/pytest.
set -euo pipefail
SETUP_NAME=setup-python
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib/setup-common.sh
. "$REPO/scripts/lib/setup-common.sh"

VENV=$REPO/target/venv
REQ=$REPO/tools/python-requirements.txt
STAMP=$VENV/.chatwire-setup-stamp

[ -f "$REQ" ] || die "missing $REQ (it is committed)"

if [ -z "${PYTHON:-}" ]; then
    PYTHON=$(command -v python3.11 || command -v python3 || true)
    [ -n "$PYTHON" ] || die "no python3.11 or python3 on PATH (set PYTHON)"
fi

# The stamp names the requirements and the interpreter: a new PYTHON rebuilds too.
want_stamp() { { cat "$REQ"; echo "python=$PYTHON"; } | sha256sum | cut -d' ' -f1; }

venv_ok() {
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_stamp)" ] &&
        [ -x "$VENV/bin/python" ] && [ -x "$VENV/bin/maturin" ] && [ -x "$VENV/bin/pytest" ]
}

if venv_ok; then
    echo "$SETUP_NAME: already installed ($VENV, $(grep -m1 '^maturin==' "$REQ")); nothing to do"
    exit 0
fi

setup_lock "$REPO/target/.setup-locks/python.lock"
if venv_ok; then
    echo "$SETUP_NAME: installed meanwhile by a concurrent run ($VENV); nothing to do"
    exit 0
fi

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))' 2>/dev/null ||
    die "$PYTHON is not Python 3.9 or newer"

log=$(mktemp "/tmp/$SETUP_NAME.XXXXXX.log")
# A venv whose interpreter no longer runs (Python upgraded or removed underneath it,
# or a new PYTHON) is rebuilt from scratch; a working one is updated in place.
fresh=
if ! "$VENV/bin/python" -c '' 2>/dev/null || [ "$(readlink -f "$VENV/bin/python")" != "$(readlink -f "$("$PYTHON" -c 'import sys; print(sys.executable)')")" ]; then
    rm -f "$STAMP"
    "$PYTHON" -m venv --clear "$VENV" >"$log" 2>&1 || die_log "$log" "$PYTHON -m venv $VENV failed (Debian needs python3-venv)"
    fresh=1
fi
rm -f "$STAMP"
nice -n 5 "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -r "$REQ" >>"$log" 2>&1 ||
    die_log "$log" "pip install -r $REQ failed"
"$VENV/bin/python" -c 'import aiohttp, pytest, pytest_asyncio, websockets' >>"$log" 2>&1 ||
    die_log "$log" "the venv's packages do not import"
maturin=$("$VENV/bin/maturin" --version 2>>"$log") || die_log "$log" "$VENV/bin/maturin --version failed"
want_stamp >"$STAMP"
rm -f "$log"
echo "$SETUP_NAME: ${fresh:+created $VENV and }installed $REQ in $(elapsed) ($maturin, $("$VENV/bin/python" --version))"
