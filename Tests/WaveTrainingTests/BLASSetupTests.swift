import WaveTraining
import XCTest

/// The BLAS re-exec's decision, as a table: restart with SkylakeX on an AVX-512 CPU whose loaded
/// OpenBLAS kernels are narrower, with Haswell when OpenBLAS fell back to Prescott on an AVX2 CPU,
/// and never otherwise.
final class BLASSetupTests: XCTestCase {
    func testTheRestartIsChosenFromTheCPUAndTheLoadedKernels() {
        XCTAssertEqual(
            BLASSetup.wantedCoreType(cpuHasAVX512: true, loadedAVX512Kernels: false, loadedCore: "Haswell", cpuHasAVX2: true), "SkylakeX")
        XCTAssertNil(BLASSetup.wantedCoreType(cpuHasAVX512: true, loadedAVX512Kernels: true, loadedCore: "Cooperlake", cpuHasAVX2: true))
        XCTAssertEqual(
            BLASSetup.wantedCoreType(cpuHasAVX512: false, loadedAVX512Kernels: false, loadedCore: "Prescott", cpuHasAVX2: true), "Haswell")
        XCTAssertNil(BLASSetup.wantedCoreType(cpuHasAVX512: false, loadedAVX512Kernels: false, loadedCore: "Prescott", cpuHasAVX2: false))
        XCTAssertNil(BLASSetup.wantedCoreType(cpuHasAVX512: false, loadedAVX512Kernels: false, loadedCore: "Zen", cpuHasAVX2: true))
    }
}
