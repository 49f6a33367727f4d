import Foundation
import WaveFuzz

// Two builds of one file. With WRNN_LIBFUZZER (scripts/fuzz.sh: -sanitize=fuzzer,address) libFuzzer
// supplies main() and calls LLVMFuzzerTestOneInput with the target named by $WRNN_FUZZ_TARGET.
// Without it, `wrnn-fuzz TARGET FILE...` replays inputs through the same reader, to reproduce a crash.

nonisolated(unsafe) private var selected: FuzzTarget?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if selected == nil {
        let name = ProcessInfo.processInfo.environment["WRNN_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            fputs("wrnn-fuzz: set WRNN_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n", stderr)
            exit(64)
        }
        selected = target
    }
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    selected!.run(bytes)
    return 0
}

#if WRNN_LIBFUZZER
// SwiftPM links an executable's entry point as wrnn_fuzz_main (main is an alias of it), so the
// instrumented build supplies that symbol and hands control to libFuzzer's driver.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

@_cdecl("wrnn_fuzz_main")
public func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, { fuzzOneInput($0, $1) })
}
#else
@main
struct Replay {
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
            fputs("usage: wrnn-fuzz TARGET FILE... (targets: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")))\n", stderr)
            exit(64)
        }
        for path in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                fputs("wrnn-fuzz: cannot read \(path)\n", stderr)
                exit(66)
            }
            print("\(path): \(target.run([UInt8](data)) ? "accepted" : "refused")")
        }
    }
}
#endif
