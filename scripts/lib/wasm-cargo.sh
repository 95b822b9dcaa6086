# shellcheck shell=bash
# `wasm_cargo [NAME=VALUE ...] CARGO-ARGS...`: Debian's cargo (rustc-web, installed by
# setup-wasm-toolchain.sh) in the one environment every wasm32 build of the project uses
# (build-core-wasm.sh, build-npm.sh, test-wasm-units.sh); the NAME=VALUE pairs join it.
#
# env -u: host-oriented settings from the caller's environment must not leak into a wasm
# build (a RUSTC_WRAPPER like sccache bound to rustup's rustc, RUSTFLAGS such as
# -Ctarget-cpu=native, a CARGO_BUILD_TARGET, a rustup toolchain override). /usr/bin first on
# PATH so a build script that runs a bare `rustc`/`cargo` gets Debian's, consistent with
# RUSTC; cargo itself is called by full path. RUSTC_BOOTSTRAP=1 unlocks -Zbuild-std on this
# stable rustc.
wasm_cargo() {
    local extra=()
    while [ $# -gt 0 ] && [[ $1 =~ ^[A-Z_][A-Z0-9_]*= ]]; do
        extra+=("$1")
        shift
    done
    env -u RUSTC_WRAPPER -u RUSTC_WORKSPACE_WRAPPER -u CARGO_BUILD_RUSTC_WRAPPER \
        -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS \
        -u CARGO_BUILD_TARGET -u CARGO_BUILD_TARGET_DIR -u CARGO_BUILD_RUSTC \
        -u RUSTUP_TOOLCHAIN -u CARGO \
        PATH="/usr/bin:$PATH" \
        RUSTC_BOOTSTRAP=1 \
        RUSTC=/usr/bin/rustc \
        RUSTDOC=/usr/bin/rustdoc \
        CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-19/bin/wasm-ld \
        "${extra[@]}" \
        nice -n 5 /usr/bin/cargo "$@"
}
