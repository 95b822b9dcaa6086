# shellcheck shell=bash
# Shared by scripts/setup-*.sh (sourced, not run): failing with one clear line, locks,
# and apt installs. The caller sets SETUP_NAME (its prefix on every line it prints).

: "${SETUP_NAME:?set SETUP_NAME before sourcing setup-common.sh}"

die() {
    echo "$SETUP_NAME: $*" >&2
    exit 1
}

# die_log LOG MESSAGE: fail, showing the log's first error lines (npm puts the cause
# first and its usage text after) and its last lines (cargo, apt and pip put it last),
# and keeping the log for a closer look.
die_log() {
    local log=$1
    shift
    {
        echo "$SETUP_NAME: $*; first errors and last lines of $log:"
        grep -m 5 -iE 'error|fail' "$log" || true
        echo "..."
        tail -n 20 "$log"
    } >&2
    exit 1
}

# setup_lock PATH: hold an exclusive lock on PATH until the script exits (fd 9), so
# concurrent runs (two test commands, two worktrees sharing a machine-wide tool) wait
# for each other instead of installing twice into the same place. After taking it, the
# caller re-checks: the run it waited for has usually done the work.
setup_lock() {
    mkdir -p "$(dirname "$1")"
    exec 9>"$1"
    flock 9
}

# Machine-wide locks live in /var/lock (root) or the temp dir (anyone else).
machine_lock_dir() {
    if [ -w /var/lock ]; then echo /var/lock; else echo "${TMPDIR:-/tmp}"; fi
}

# Prints those of the Debian packages "$@" that are not installed.
apt_missing() {
    local p st
    for p in "$@"; do
        st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [ "$st" = "install ok installed" ] || echo "$p"
    done
}

# True when the package lists are older than a day (or absent): the security archive
# replaces .debs (chromium, rustc-web) often, and a stale list names files that 404.
apt_lists_stale() {
    local newest
    newest=$(find /var/lib/apt/lists -maxdepth 1 -name '*InRelease' -printf '%T@\n' 2>/dev/null | sort -n | tail -n 1)
    [ -z "$newest" ] && return 0
    [ $(($(date +%s) - ${newest%.*})) -gt 86400 ]
}

# True when every package of "$@" has an install candidate in the current lists.
apt_have_candidates() {
    local p
    for p in "$@"; do
        apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]' || return 1
    done
}

# apt-get update, retried: another apt user (a person, unattended-upgrades) may hold
# the lists lock for a while, and DPkg::Lock::Timeout does not cover it on every apt.
apt_update() {
    local _
    for _ in 1 2 3 4 5 6; do
        apt-get update -o DPkg::Lock::Timeout=600 && return 0
        sleep 10
    done
    return 1
}

# apt_install [--reinstall] PKG...: installs PKG... (no recommends: chromium's recommended sandbox
# and the like are not needed headless as root). Refreshes the lists first only when
# they are stale or lack a candidate, and once more if the install fails anyway.
# All chatwire scripts take one apt lock, so two of them never race on dpkg.
apt_install() {
    [ "$(id -u)" = 0 ] || die "must run as root to apt-get install: $*"
    local log updated="" opts=()
    [ "${1:-}" != --reinstall ] || { opts=(--reinstall); shift; }
    log=$(mktemp "/tmp/$SETUP_NAME.XXXXXX.log")
    export DEBIAN_FRONTEND=noninteractive
    (
        exec 8>"$(machine_lock_dir)/chatwire-apt.lock"
        flock 8
        if apt_lists_stale || ! apt_have_candidates "$@"; then
            apt_update || exit 1
            updated=1
        fi
        apt-get install -y --no-install-recommends "${opts[@]}" -o DPkg::Lock::Timeout=600 "$@" && exit 0
        [ -z "$updated" ] || exit 1
        apt_update && apt-get install -y --no-install-recommends "${opts[@]}" -o DPkg::Lock::Timeout=600 "$@"
    ) >"$log" 2>&1 || die_log "$log" "apt-get install $* failed"
    rm -f "$log"
}

# Seconds since the script started, with one decimal (bash 5's EPOCHREALTIME).
SETUP_START_US=${EPOCHREALTIME/./}
elapsed() {
    local us=$((${EPOCHREALTIME/./} - SETUP_START_US))
    printf '%d.%ds' $((us / 1000000)) $((us % 1000000 / 100000))
}
