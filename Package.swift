// swift-tools-version:6.2
// Hummingbird 2.28's manifest needs tools 6.2; the language mode is Swift 6 throughout.
import PackageDescription

let package = Package(
    name: "smitop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "smitop", targets: ["smitop"])
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        // The simulator's Prometheus exposition (per simulated pod) is written by the
        // reference Swift client rather than by hand-formatted text.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Test-only: property-based checks of weights, quantities and shares at their bounds.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        // glibc's malloc_info (malloc.h is not in Swift's Glibc module): the heap in use, which the
        // backpressure measurement and the soak compare instead of resident memory.
        .systemLibrary(name: "CMalloc"),
        // zlib for the simulator's SPDY/3.1 header blocks (kubectl port-forward).
        .systemLibrary(name: "CZlib"),
        // fork with PR_SET_PDEATHSIG for the `kubectl port-forward` smitop runs (it must never
        // outlive smitop); prctl is variadic and must run in the child, so Swift cannot do it.
        .systemLibrary(name: "CProcess"),
        .systemLibrary(
            name: "CNcursesw",
            pkgConfig: "ncursesw",
            providers: [.apt(["libncursesw5-dev"])]
        ),
        // The project's core: values every other module shares (JSON, quantities, metadata,
        // object identity, saturating conversions, the sanitiser). No SMI, no network.
        .target(
            name: "KubeCore",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "SMI",
            dependencies: ["KubeCore", .product(name: "Yams", package: "Yams")]
        ),
        // Gateway API HTTPRoute/GRPCRoute and Linkerd's policy HTTPRoute (GAMMA mesh routes):
        // the route model, status, owners and weight-only writes. Beside SMI, not on it.
        .target(
            name: "GatewayAPI",
            dependencies: ["KubeCore"]
        ),
        // Offline validation of manifests: SMI kinds and Gateway API routes, each against the
        // real CRD schemas (through APIServer's validator) plus semantic checks and shares.
        .target(
            name: "Lint",
            dependencies: ["KubeCore", "SMI", "GatewayAPI", "APIServer"]
        ),
        .target(
            name: "Kube",
            dependencies: ["KubeCore", "SMI", "CProcess", .product(name: "Yams", package: "Yams")]
        ),
        // Server-side machinery of a kube-apiserver: patch application (merge, JSON,
        // strategic, server-side apply), structural schema validation and the embedded real
        // CRDs. Used by the simulator (and, by design, lint); never by the client.
        .target(
            name: "APIServer",
            dependencies: ["KubeCore"]
        ),
        .target(
            name: "Transport",
            dependencies: ["KubeCore", "Kube", "CCurl"]
        ),
        .target(
            name: "Simulator",
            dependencies: [
                "KubeCore", "APIServer", "SMI", "GatewayAPI", "Kube", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdHTTP2", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(
            name: "Mesh",
            dependencies: ["KubeCore", "SMI", "GatewayAPI", "Kube"]
        ),
        // Guarded canary ramps: the plan, the gate arithmetic and the ramp state machine,
        // shared by the TUI and `smitop split ramp`. Pure: no I/O, an injected clock.
        .target(
            name: "Ramp",
            dependencies: ["KubeCore", "Mesh", "GatewayAPI"]
        ),
        .target(
            name: "App",
            dependencies: ["KubeCore", "Mesh", "SMI", "Kube", "Ramp"]
        ),
        .target(
            name: "UI",
            dependencies: ["KubeCore", "App", "Mesh", "Ramp", "SMI", .product(name: "Yams", package: "Yams")]
        ),
        // The event loop, effect runner, mailbox, session file and exec trust, behind a
        // terminal protocol and a cluster protocol (test doubles drive it headless).
        .target(
            name: "Runtime",
            dependencies: [
                "KubeCore", "SMI", "Kube", "Mesh", "App", "UI", "CMalloc",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "Terminal",
            dependencies: ["UI", "CNcursesw"]
        ),
        .executableTarget(
            name: "smitop",
            dependencies: [
                "KubeCore", "SMI", "GatewayAPI", "Lint", "Kube", "Transport", "Simulator", "Mesh", "Ramp", "App", "UI", "Runtime", "Terminal",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Test support shared by the simulator and end-to-end tests: the in-process simulator
        // harness, process running, tmux sessions, the binary under test.
        .target(
            name: "TestSupport",
            dependencies: ["KubeCore", "Simulator", "Kube", "SMI"],
            path: "Tests/TestSupport"
        ),
        // Developer tools, built beside the product but not installed: `make bench` and
        // `make fuzz` run them.
        .executableTarget(
            name: "smitop-bench",
            dependencies: [
                "KubeCore", "SMI", "Kube", "Transport", "Simulator", "Mesh", "App", "UI", "Runtime",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "smitop-fuzz",
            dependencies: [
                "KubeCore", "SMI", "Lint", "Kube", "App", "UI", "APIServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "KubeCoreTests",
            dependencies: ["KubeCore", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "SMITests",
            dependencies: ["SMI", "KubeCore", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(name: "GatewayAPITests", dependencies: ["GatewayAPI", "KubeCore"]),
        .testTarget(name: "LintTests", dependencies: ["Lint", "SMI", "GatewayAPI", "KubeCore"]),
        .testTarget(name: "APIServerTests", dependencies: ["APIServer", "KubeCore"]),
        .testTarget(name: "KubeTests", dependencies: ["Kube", "SMI", "KubeCore"]),
        .testTarget(name: "SimulatorTests", dependencies: ["KubeCore", "APIServer", "Simulator", "Kube", "SMI", "Transport", "TestSupport"]),
        // The real binaries (smitop, smitop-fuzz), kubectl, the Python client and tmux against
        // an in-process simulator.
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["KubeCore", "Simulator", "Kube", "SMI", "Transport", "TestSupport", "APIServer", "Runtime", "App", "Mesh"],
            exclude: ["python"]),
        .testTarget(name: "TransportTests", dependencies: ["KubeCore", "Transport", "Kube"]),
        .testTarget(name: "MeshTests", dependencies: ["KubeCore", "Mesh", "SMI", "GatewayAPI", "Kube", "Simulator"]),
        .testTarget(name: "RampTests", dependencies: ["Ramp", "KubeCore", "Mesh", "SMI", "GatewayAPI"]),
        .testTarget(name: "AppTests", dependencies: ["KubeCore", "App", "Mesh", "Ramp", "SMI", "Kube"]),
        .testTarget(name: "UITests", dependencies: ["KubeCore", "UI", "App", "Mesh", "SMI", "Kube", "Simulator"], exclude: ["Snapshots"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "App", "Mesh", "UI", "Kube", "KubeCore", "SMI"]),
        .testTarget(name: "TerminalTests", dependencies: ["KubeCore", "Terminal", "UI", "App"]),
        // The executable's own parts (session file, trust store), through @testable import.
        .testTarget(name: "SmitopTests", dependencies: ["smitop", "KubeCore", "Kube", "App", "SMI"]),
    ],
    swiftLanguageModes: [.v6]
)
