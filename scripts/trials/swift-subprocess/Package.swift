// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "Trial",
    dependencies: [.package(url: "https://github.com/swiftlang/swift-subprocess.git", exact: "1.0.2")],
    targets: [.executableTarget(name: "Trial", dependencies: [.product(name: "Subprocess", package: "swift-subprocess")])]
)
