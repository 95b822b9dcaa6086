#!/usr/bin/env bash
# Set up the Kotlin tool chain for the UniFFI binding's Kotlin: kotlinc from npm's
# kotlin-compiler (via setup-node-tools.sh), JNA and kotlinx-coroutines from Debian.
# Prints one line with the classpath. Idempotent: a fast no-op (file tests, one
# dpkg-query, ~50 ms) once installed.
#
#   kotlinc     tools/node_modules/kotlin-compiler/bin/kotlinc (the JVM compiler; runs
#               on the machine's Java 17; installs openjdk-17-jdk-headless if no java)
#   JNA         libjna-java: /usr/share/java/jna.jar (its native part, libjna-jni, is
#               found by Debian's jar by itself)
#   coroutines  libkotlinx-coroutines-java: /usr/share/java/kotlinx-coroutines-core.jar
#               (1.0.1). Debian's jar was not run through the atomicfu transformer, so
#               it needs /usr/share/java/atomicfu.jar (libkotlinx-atomicfu-java) at run
#               time, which the package does not depend on: without it the first
#               runBlocking throws NoClassDefFoundError kotlinx/atomicfu/AtomicFU.
#   stdlib      kotlin-compiler's lib/kotlin-stdlib.jar (kotlinc adds it when
#               compiling; `java` needs it on the classpath)
#
# Usage: scripts/setup-kotlin.sh [--env | --check]
#   --env    print instead one line for eval: `export KOTLINC=… CHATWIRE_KOTLIN_CLASSPATH=…`
#            (the classpath serves compiling and running alike)
#   --check  also compile and run tools/smoke/KotlinSmoke.kt (runBlocking, Dispatchers,
#            JNA loading a library through -Djna.library.path). Not part of setup: the
#            first kotlinc compile takes ~20 s.
set -euo pipefail
SETUP_NAME=setup-kotlin
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# shellcheck source-path=SCRIPTDIR source=lib/setup-common.sh
. "$REPO/scripts/lib/setup-common.sh"

mode=
case "${1:-}" in
    "") ;;
    --env | --check) mode=${1#--} ;;
    *) echo "usage: $0 [--env | --check]" >&2; exit 2 ;;
esac

KOTLIN_HOME=$REPO/tools/node_modules/kotlin-compiler
KOTLINC=$KOTLIN_HOME/bin/kotlinc
PKGS=(libjna-java libkotlinx-coroutines-java libkotlinx-atomicfu-java)
JARS=(
    /usr/share/java/jna.jar
    /usr/share/java/kotlinx-coroutines-core.jar
    /usr/share/java/atomicfu.jar
    "$KOTLIN_HOME/lib/kotlin-stdlib.jar"
)
CLASSPATH_LINE=$(IFS=:; echo "${JARS[*]}")

jars_ok() {
    local j
    [ -z "$(apt_missing "${PKGS[@]}")" ] && command -v java >/dev/null || return 1
    for j in "${JARS[@]}"; do [ -f "$j" ] || return 1; done
}

# kotlinc comes from the npm tools; their own check is as fast as ours.
out=$(bash "$REPO/scripts/setup-node-tools.sh" 2>&1) || die "setup-node-tools failed: $out"
[ -x "$KOTLINC" ] || die "$KOTLINC missing after setup-node-tools"

line=
if ! jars_ok; then
    setup_lock "$(machine_lock_dir)/chatwire-setup-kotlin.lock"
    if ! jars_ok; then
        pkgs=("${PKGS[@]}")
        command -v java >/dev/null || pkgs+=(openjdk-17-jdk-headless)
        missing=$(apt_missing "${pkgs[@]}")
        # Packages "installed" yet a jar gone (deleted by hand): reinstall them.
        reinstall=()
        [ -n "$missing" ] || reinstall=(--reinstall)
        apt_install "${reinstall[@]}" "${pkgs[@]}"
        jars_ok || die "apt-get installed ${pkgs[*]} but a jar or java is still missing (need ${JARS[*]})"
        line="installed ${missing:+${missing//$'\n'/ }}${reinstall:+${PKGS[*]}} in $(elapsed)"
    fi
fi

if [ "$mode" = env ]; then
    printf 'export KOTLINC=%q CHATWIRE_KOTLIN_CLASSPATH=%q\n' "$KOTLINC" "$CLASSPATH_LINE"
    exit 0
fi

versions="kotlinc $(cat "$KOTLIN_HOME/build.txt" 2>/dev/null || echo '?'), $(dpkg-query -W -f='${Package} ${Version}, ' "${PKGS[@]}")"
line="${line:-already installed}: ${versions%, }; classpath=$CLASSPATH_LINE"

if [ "$mode" = check ]; then
    out_dir=$REPO/target/smoke/kotlin
    rm -rf "$out_dir"
    mkdir -p "$out_dir/lib"
    # A library JNA can only find through jna.library.path, as it will find the binding's.
    libc=$(ldconfig -p | awk '/libc\.so\.6 /{ print $NF; exit }')
    [ -n "$libc" ] || die "cannot find libc.so.6 with ldconfig -p"
    ln -s "$libc" "$out_dir/lib/libchatwiresmoke.so"
    log=$out_dir/kotlinc.log
    t0=${EPOCHREALTIME/./}
    nice -n 5 "$KOTLINC" -cp "$CLASSPATH_LINE" "$REPO/tools/smoke/KotlinSmoke.kt" -d "$out_dir/smoke.jar" >"$log" 2>&1 ||
        die_log "$log" "kotlinc failed to compile tools/smoke/KotlinSmoke.kt"
    t1=${EPOCHREALTIME/./}
    smoke=$(java -Djna.library.path="$out_dir/lib" -cp "$out_dir/smoke.jar:$CLASSPATH_LINE" KotlinSmokeKt 2>&1) ||
        die "smoke check failed: $smoke"
    t2=${EPOCHREALTIME/./}
    line="$line; $smoke; kotlinc $(((t1 - t0) / 1000)) ms, run $(((t2 - t1) / 1000)) ms"
fi
echo "$SETUP_NAME: $line"
