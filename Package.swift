// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "crm",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "crm", targets: ["Host"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        // Already resolved through jwt-kit; base64url for tokens and cursors.
        .package(url: "https://github.com/swift-extras/swift-extras-base64", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // Already resolved through Hummingbird's ConfigurationSupport trait; reads the environment.
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: []),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        // No external-reference loading: the document is built in process (and it builds faster).
        .package(url: "https://github.com/mattpolzin/OpenAPIKit.git", from: "6.4.0", traits: []),
    ],
    targets: [
        // Lua 5.4 from the system (Debian: liblua5.4-dev).
        .systemLibrary(
            name: "CLua",
            path: "Sources/CLua",
            pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev"])]
        ),
        // The only C that touches Lua's longjmp-based errors: allocator, hooks, trampolines.
        .target(name: "LuaShim", dependencies: ["CLua"], path: "Sources/LuaShim", linkerSettings: [.linkedLibrary("m")]),
        .target(
            name: "Kernel",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ExtrasBase64", package: "swift-extras-base64"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ],
            path: "Sources/Kernel",
            exclude: ["OpenAPI/Docs"],
            resources: [
                .embedInCode("OpenAPI/Docs/index.html"),
                .embedInCode("OpenAPI/Docs/docs.css"),
                .embedInCode("OpenAPI/Docs/docs.js"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Scripting",
            dependencies: [
                "Kernel", "LuaShim",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "OpenAPIKit", package: "OpenAPIKit"),
            ],
            path: "Sources/Scripting", swiftSettings: strict),
        .target(name: "Contacts", dependencies: ["Kernel", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "OpenAPIKit", package: "OpenAPIKit"), .product(name: "PostgresNIO", package: "postgres-nio")], path: "Sources/Plugins/Contacts", swiftSettings: strict),
        .target(name: "Deals", dependencies: ["Kernel", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "OpenAPIKit", package: "OpenAPIKit"), .product(name: "PostgresNIO", package: "postgres-nio")], path: "Sources/Plugins/Deals", swiftSettings: strict),
        .target(name: "Activities", dependencies: ["Kernel", .product(name: "Hummingbird", package: "hummingbird"), .product(name: "OpenAPIKit", package: "OpenAPIKit"), .product(name: "PostgresNIO", package: "postgres-nio")], path: "Sources/Plugins/Activities", swiftSettings: strict),
        .target(name: "CustomFields", dependencies: ["Kernel", "Scripting", .product(name: "OpenAPIKit", package: "OpenAPIKit"), .product(name: "Hummingbird", package: "hummingbird"), .product(name: "PostgresNIO", package: "postgres-nio")], path: "Sources/Plugins/CustomFields", swiftSettings: strict),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // The admin console: its assets are compiled in from this target only.
        .target(
            name: "AdminUI",
            dependencies: [
                "Kernel", "CZlib",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/AdminUI",
            // The assets are compiled in by the EmbedAssets plugin (string literals, not SwiftPM's
            // integer arrays, which took minutes to compile for CodeMirror).
            exclude: ["Assets"],
            swiftSettings: strict,
            plugins: ["EmbedAssets"]
        ),
        .executableTarget(name: "EmbedAssetsTool", path: "Sources/EmbedAssetsTool", swiftSettings: strict),
        .plugin(name: "EmbedAssets", capability: .buildTool(), dependencies: ["EmbedAssetsTool"], path: "Plugins/EmbedAssets"),
        // The runtime's global-executor hook, linked directly (EventLoopExecutor).
        .target(name: "ConcurrencyHook", path: "Sources/ConcurrencyHook"),
        .executableTarget(
            name: "Host",
            dependencies: [
                "Kernel", "Scripting", "Contacts", "Deals", "Activities", "CustomFields", "AdminUI", "ConcurrencyHook",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Sources/Host",
            swiftSettings: strict
        ),
        // Shared by the test targets: a private database per test, a spawned `crm` process, HTTP calls.
        .target(
            name: "TestSupport",
            dependencies: [
                "Kernel",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            path: "Tests/Support"
        ),
        .testTarget(
            name: "KernelTests",
            dependencies: [
                "Kernel", "TestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            path: "Tests/KernelTests"
        ),
        .testTarget(name: "ScriptingTests", dependencies: ["Scripting"], path: "Tests/ScriptingTests"),
        // One target per plugin module: its declarations, and its SQL on a real PostgreSQL.
        .testTarget(name: "ContactsTests", dependencies: ["Contacts", "TestSupport"], path: "Tests/ContactsTests"),
        .testTarget(name: "DealsTests", dependencies: ["Deals", "Contacts", "TestSupport"], path: "Tests/DealsTests"),
        .testTarget(name: "ActivitiesTests", dependencies: ["Activities", "Contacts", "TestSupport"], path: "Tests/ActivitiesTests"),
        .testTarget(
            name: "CustomFieldsTests", dependencies: ["CustomFields", "Scripting", "TestSupport"], path: "Tests/CustomFieldsTests"),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Host", "Kernel", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/EndToEndTests"
        ),
    ]
)
