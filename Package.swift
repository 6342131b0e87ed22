// swift-tools-version:6.0
// Dynamical low-rank approximation and dynamical low-rank training (DLRT) in Swift.
import PackageDescription

let package = Package(
  name: "DLRT",
  products: [
    .library(name: "MatrixManifold", targets: ["MatrixManifold"]),
    .library(name: "LowRankIntegrators", targets: ["LowRankIntegrators"]),
    .library(name: "LowRankNN", targets: ["LowRankNN"]),
    .library(name: "Datasets", targets: ["Datasets"]),
    .executable(name: "dlrt", targets: ["dlrt"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    // Documentation only (`make docs`): adds the `generate-documentation` command, no code.
    .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
  ],
  targets: [
    // C libraries, provided by Debian: libopenblas-dev liblapack-dev liblapacke-dev zlib1g-dev.
    .systemLibrary(
      name: "CLapack",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev", "liblapack-dev", "liblapacke-dev"])]
    ),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

    // Elementwise kernels in C (Sources/CKernels/include/CKernels.h).
    .target(name: "CKernels"),

    .target(name: "MatrixManifold", dependencies: ["CLapack"]),
    .target(name: "LowRankIntegrators", dependencies: ["MatrixManifold"]),
    .target(name: "Datasets", dependencies: ["MatrixManifold", "CZlib"]),
    .target(name: "LowRankNN", dependencies: ["MatrixManifold", "LowRankIntegrators", "CKernels"]),
    .executableTarget(
      name: "dlrt",
      dependencies: [
        "MatrixManifold", "LowRankIntegrators", "LowRankNN", "Datasets",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "dlrt-bench",
      dependencies: ["MatrixManifold", "LowRankIntegrators", "LowRankNN", "CLapack"],
      path: "Benchmarks/DLRTBench"
    ),

    .executableTarget(
      name: "matrix-ode-example",
      dependencies: ["MatrixManifold", "LowRankIntegrators"],
      path: "Examples/MatrixODE"
    ),

    .target(name: "TestSupport", dependencies: ["MatrixManifold"], path: "Tests/TestSupport"),
    .testTarget(
      name: "MatrixManifoldTests", dependencies: ["MatrixManifold", "TestSupport"], resources: [.copy("Resources")]),
    .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"]),
    .testTarget(name: "LowRankIntegratorsTests", dependencies: ["LowRankIntegrators", "TestSupport"]),
    .testTarget(
      name: "LowRankNNTests", dependencies: ["LowRankNN", "LowRankIntegrators", "MatrixManifold", "TestSupport"]),
    .testTarget(
      name: "dlrtTests",
      dependencies: [
        "dlrt", "Datasets", "LowRankNN", "MatrixManifold", "TestSupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
  ]
)
