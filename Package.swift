// swift-tools-version:6.0
import PackageDescription

import Foundation

// Hot kernels need a target CPU: without one, SIMD fused multiply-adds become per-lane library
// calls (measured 50x slower). The default is a portable baseline, so one binary runs on every
// node of a cluster: Haswell's set (x86-64-v3: AVX2, FMA; every AMD Zen and Intel part seen here) on x86; ARM64's
// baseline has NEON. A `-target-cpu native` build on an AVX-512 part dies with SIGILL on an AVX2
// one. WRNN_TARGET_CPU=native (or any LLVM CPU name) builds for one machine instead.
#if arch(x86_64)
let targetCPU = ProcessInfo.processInfo.environment["WRNN_TARGET_CPU"] ?? "haswell"
#else
let targetCPU = ProcessInfo.processInfo.environment["WRNN_TARGET_CPU"] ?? "generic"
#endif
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", targetCPU]),
    .define(targetCPU == "native" ? "WRNN_NATIVE_BUILD" : "WRNN_PORTABLE_BUILD")
]
// The kernels' index arithmetic is covered by the shape-sweep tests; overflow traps in their
// inner loops cost a third of the throughput.
let kernelMath: [SwiftSetting] = fastMath + [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]

// The AVX-512 kernels: this one target is compiled for Skylake-X's AVX-512 set (F, CD, BW, DQ, VL,
// which every AVX-512 part from Skylake-X and Zen 4 on has) and is called only when the CPU
// reports that set at run time, so the binary as a whole stays portable.
#if arch(x86_64)
let avx512Math: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", targetCPU == "haswell" ? "skylake-avx512" : targetCPU]),
    .unsafeFlags(["-Ounchecked"], .when(configuration: .release))
]
#else
let avx512Math: [SwiftSetting] = []
#endif

let systemLibraries: [Target] = [
    .systemLibrary(name: "CFFTW", path: "Sources/CFFTW", providers: [.apt(["libfftw3-dev"]), .brew(["fftw"])]),
    .systemLibrary(name: "CGIF", path: "Sources/CGIF", providers: [.apt(["libgif-dev"]), .brew(["giflib"])]),
    .systemLibrary(name: "CCairo", path: "Sources/CCairo", providers: [.apt(["libcairo2-dev"]), .brew(["cairo"])]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
    .systemLibrary(name: "CFloatMode", path: "Sources/CFloatMode")
]

#if os(Linux)
let blasDependency: [Target.Dependency] = ["CBLAS"]
let blasTargets: [Target] = [
    .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: [.apt(["libopenblas-dev"])])
]
#else
let blasDependency: [Target.Dependency] = []
let blasTargets: [Target] = []
#endif

let package = Package(
    name: "WaveRNN",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wrnn", targets: ["wrnn"]),
        .library(name: "WaveTraining", targets: ["WaveTraining"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0")
    ],
    targets: blasTargets + systemLibraries + [
        .target(name: "WaveKernelsAVX512", swiftSettings: avx512Math),
        // bf16 products (`--precision bf16`), in C for AVX512-BF16's intrinsics; each function
        // carries its target attribute, so no flags: called only where CPUID reports the set
        .target(name: "WaveKernelsBF16", cSettings: [.unsafeFlags(["-O3"], .when(configuration: .release))]),
        // the kernels alone, compiled unchecked; everything else (files, errors, random streams, threads) checked
        .target(
            name: "WaveKernels", dependencies: blasDependency + ["CFloatMode", "WaveKernelsAVX512", "WaveKernelsBF16"],
            swiftSettings: kernelMath),
        // files, errors, random streams, threads and their float mode: what every other target builds on
        .target(name: "WaveCore", dependencies: ["CFloatMode"], swiftSettings: fastMath),
        // Open MPI, opened at run time: the binary starts where no MPI is installed
        .target(name: "WaveMPI", dependencies: ["WaveCore"], swiftSettings: fastMath),
        .target(name: "WaveModels", dependencies: ["WaveKernels", "WaveCore", "WaveTasks"], swiftSettings: fastMath),
        .target(name: "WaveData", dependencies: ["WaveCore", "CZlib"], swiftSettings: fastMath),
        .target(name: "WaveTasks", dependencies: ["WaveKernels", "WaveCore", "WaveData"], swiftSettings: fastMath),
        .target(
            name: "WaveTraining", dependencies: ["WaveKernels", "WaveCore", "WaveData", "WaveModels", "WaveTasks"], swiftSettings: fastMath),
        .target(name: "WavePlot", dependencies: ["WaveCore", "CCairo", "CGIF"], swiftSettings: fastMath),
        .target(
            name: "WaveAnalysis",
            dependencies: [
                "WaveKernels", "WaveCore", "WaveModels", "WaveData", "WaveTasks", "WaveTraining", "WaveSweep", "WavePlot", "CFFTW"
            ],
            swiftSettings: fastMath),
        .target(
            name: "WaveSweep",
            dependencies: ["WaveKernels", "WaveCore", "WaveTraining", "WaveModels", "WaveTasks", .product(name: "Yams", package: "Yams")],
            swiftSettings: fastMath),
        // every reader of a user's file as a function of bytes, for the fuzzers and their regression tests
        .target(
            name: "WaveFuzz",
            dependencies: ["WaveCore", "WaveModels", "WaveData", "WaveTasks", "WaveTraining", "WaveSweep", "WaveAnalysis"],
            swiftSettings: fastMath),
        .executableTarget(name: "wrnn-fuzz", dependencies: ["WaveFuzz"], swiftSettings: fastMath),
        .executableTarget(
            name: "wrnn",
            dependencies: [
                "WaveKernels", "WaveCore", "WaveData", "WaveModels", "WaveTasks", "WaveTraining", "WaveAnalysis", "WavePlot",
                "WaveSweep", "WaveMPI",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ],
            swiftSettings: fastMath),
        // what the test targets share: assertClose, process helpers, CI detection
        .target(name: "WaveTestSupport", path: "Tests/WaveTestSupport"),
        .testTarget(name: "WaveCoreTests", dependencies: ["WaveKernels", "WaveCore", "WaveTestSupport"], swiftSettings: fastMath),
        .testTarget(
            name: "WaveModelsTests", dependencies: ["WaveKernels", "WaveTestSupport", "WaveModels", "WaveTasks", "WaveCore"],
            swiftSettings: fastMath),
        .testTarget(name: "WaveTasksTests", dependencies: ["WaveKernels", "WaveTasks", "WaveCore", "WaveData"], swiftSettings: fastMath),
        .testTarget(name: "WaveDataTests", dependencies: ["WaveData", "WaveCore", "CZlib"], swiftSettings: fastMath),
        .testTarget(
            name: "WaveTrainingTests", dependencies: ["WaveKernels", "WaveTraining", "WaveModels", "WaveTasks", "WaveCore", "WaveData"],
            swiftSettings: fastMath),
        .testTarget(
            name: "WavePlotTests", dependencies: ["WaveTestSupport", "WavePlot", "WaveCore", "CGIF", "CCairo"], swiftSettings: fastMath),
        .testTarget(
            name: "WaveAnalysisTests",
            dependencies: ["WaveAnalysis", "WaveData", "WaveTraining", "WaveModels", "WaveTasks", "WaveCore", "WaveKernels", "WaveSweep"],
            swiftSettings: fastMath),
        .testTarget(
            name: "WaveSweepTests",
            dependencies: ["WaveTestSupport", "WaveCore", "WaveKernels", "WaveModels", "WaveTasks", "WaveSweep", "WaveTraining"],
            swiftSettings: fastMath),
        .testTarget(name: "WaveFuzzTests", dependencies: ["WaveFuzz"], swiftSettings: fastMath),
        .testTarget(
            name: "WrnnCLITests", dependencies: ["WaveKernels", "WaveTestSupport", "wrnn", "WaveTraining", "WaveCore", "WaveSweep"],
            swiftSettings: fastMath)
    ],
    swiftLanguageModes: [.v5]
)
