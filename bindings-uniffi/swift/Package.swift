// swift-tools-version:5.9
// chatwire for Swift: the UniFFI-generated sources over libchatwire_ffi (the Rust core).
//
// Build the library first (from the repository root): `cargo build --release -p chatwire-ffi`
// (on Apple platforms: a static library or an XCFramework of it, for each target). The
// sources in Sources/ are generated: `scripts/check-swift.sh --update` rewrites them, and the
// tests fail when they are out of step with the Rust API.
import PackageDescription

let package = Package(
    name: "Chatwire",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "Chatwire", targets: ["Chatwire"]),
        .executable(name: "EchoBot", targets: ["EchoBot"]),
    ],
    targets: [
        // The C declarations of the FFI (header + module map named as the generated Swift
        // imports it: `chatwire_ffiFFI`).
        .systemLibrary(name: "chatwire_ffiFFI", path: "Sources/ChatwireFFI/include"),
        .target(
            name: "Chatwire",
            dependencies: ["chatwire_ffiFFI"],
            path: "Sources/Chatwire",
            linkerSettings: [
                .linkedLibrary("chatwire_ffi"),
                .unsafeFlags(["-L../../target/release"]),
            ]
        ),
        .executableTarget(
            name: "EchoBot",
            dependencies: ["Chatwire"],
            // A link to examples/swift/EchoBot.swift (SwiftPM wants sources inside the package).
            path: "Examples"
        ),
    ]
)
