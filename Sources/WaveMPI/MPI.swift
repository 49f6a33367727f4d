import Foundation
import WaveCore
#if canImport(Glibc)
import Glibc
#endif

/// Open MPI, loaded when wrnn starts under mpirun or srun with more than one task: libmpi is opened
/// at run time (dlopen), so the binary has no link-time dependency on it and starts on a machine
/// without MPI. Only the calls below are used; Open MPI's handles (MPI_COMM_WORLD, MPI_BYTE, MPI_INT,
/// MPI_MAX) are the addresses of its predefined objects, looked up by name.
public final class MPIGroup: ProcessGroup, @unchecked Sendable {
    typealias InitThread = @convention(c) (UnsafeMutablePointer<Int32>?, OpaquePointer?, Int32, UnsafeMutablePointer<Int32>) -> Int32
    typealias CommQuery = @convention(c) (OpaquePointer, UnsafeMutablePointer<Int32>) -> Int32
    typealias Allgather =
        @convention(c) (UnsafeRawPointer?, Int32, OpaquePointer, UnsafeMutableRawPointer?, Int32, OpaquePointer, OpaquePointer) -> Int32
    typealias Alltoall = Allgather
    typealias Allreduce =
        @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?, Int32, OpaquePointer, OpaquePointer, OpaquePointer) -> Int32
    typealias Bcast = @convention(c) (UnsafeMutableRawPointer?, Int32, OpaquePointer, Int32, OpaquePointer) -> Int32
    typealias Abort = @convention(c) (OpaquePointer, Int32) -> Int32
    typealias Finalize = @convention(c) () -> Int32

    public let rank: Int
    public let size: Int
    let world: OpaquePointer, byte: OpaquePointer, int32: OpaquePointer, max: OpaquePointer
    let allgather: Allgather, alltoall: Alltoall, allreduce: Allreduce, bcast: Bcast, abortCall: Abort, finalize: Finalize
    private var spent = 0.0
    private var finished = false
    /// When the exchange in progress started (0: none), for the watchdog.
    private let watch = Watch()

    /// The ranks this process was launched with, from the launcher's environment: mpirun's
    /// OMPI_COMM_WORLD_SIZE, or srun's task count under PMIx or PMI-2. Nil outside a launcher.
    public static var launchedRanks: Int? {
        let env = ProcessInfo.processInfo.environment
        if let size = env["OMPI_COMM_WORLD_SIZE"].flatMap(Int.init) { return size }
        guard env["PMIX_RANK"] != nil || env["PMI_RANK"] != nil else { return nil }
        return (env["SLURM_STEP_NUM_TASKS"] ?? env["SLURM_NTASKS"] ?? env["PMI_SIZE"]).flatMap(Int.init)
    }

    /// Under a launcher with more than one task, `command` joins the job (`Processes.group`) when it is
    /// one of `allowed`; any other command runs as one process and is refused, so a grid is never run R times.
    public static func join(command: String, allowed: Set<String>) throws {
        guard let ranks = launchedRanks, ranks > 1 else { return }
        guard allowed.contains(command) else {
            throw WrnnError.usage(
                "wrnn \(command) runs as one process; start it without mpirun or srun (only \(allowed.sorted().joined(separator: " and ")) run over \(ranks) ranks)"
            )
        }
        if let group = try joinIfLaunched() { Processes.group = group }
    }

    /// Joins the job when launched with more than one rank; nil when this process runs alone.
    public static func joinIfLaunched() throws -> MPIGroup? {
        guard let ranks = launchedRanks, ranks > 1 else { return nil }
        return try MPIGroup()
    }

    init() throws {
        let names = [ProcessInfo.processInfo.environment["WRNN_LIBMPI"], "libmpi.so.40", "libmpi.so"].compactMap { $0 }
        guard let library = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_GLOBAL) }).first else {
            throw WrnnError.missing(
                "wrnn was started by an MPI launcher with \(MPIGroup.launchedRanks ?? 0) ranks but cannot load Open MPI's libmpi (\(names.joined(separator: ", "))): install openmpi-bin (Debian) or set WRNN_LIBMPI to the library's path"
            )
        }
        func symbol<F>(_ name: String, as _: F.Type) throws -> F {
            guard let address = dlsym(library, name) else {
                throw WrnnError.missing("the MPI library has no \(name): wrnn needs Open MPI 4 or later")
            }
            return unsafeBitCast(address, to: F.self)
        }
        func handle(_ name: String) throws -> OpaquePointer {
            guard let address = dlsym(library, name) else {
                throw WrnnError.missing("the MPI library has no \(name): wrnn needs Open MPI (its handles are looked up by name)")
            }
            return OpaquePointer(address)
        }
        world = try handle("ompi_mpi_comm_world")
        byte = try handle("ompi_mpi_byte")
        int32 = try handle("ompi_mpi_int")
        max = try handle("ompi_mpi_op_max")
        allgather = try symbol("MPI_Allgather", as: Allgather.self)
        alltoall = try symbol("MPI_Alltoall", as: Alltoall.self)
        allreduce = try symbol("MPI_Allreduce", as: Allreduce.self)
        bcast = try symbol("MPI_Bcast", as: Bcast.self)
        abortCall = try symbol("MPI_Abort", as: Abort.self)
        finalize = try symbol("MPI_Finalize", as: Finalize.self)
        let initThread = try symbol("MPI_Init_thread", as: InitThread.self)
        let commRank = try symbol("MPI_Comm_rank", as: CommQuery.self)
        let commSize = try symbol("MPI_Comm_size", as: CommQuery.self)
        var provided: Int32 = 0
        // MPI_THREAD_FUNNELED (1): only the main thread calls MPI; the shard threads compute
        guard initThread(nil, nil, 1, &provided) == 0 else { throw WrnnError("MPI_Init_thread failed", exitCode: 69) }
        var r: Int32 = 0, s: Int32 = 0
        _ = commRank(world, &r)
        _ = commSize(world, &s)
        rank = Int(r)
        size = Int(s)
        watch.start(rank: rank)
    }

    private func timed(_ body: () -> Int32) {
        let start = DispatchTime.now().uptimeNanoseconds
        watch.enter()
        let status = body()
        watch.leave()
        spent += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        if status != 0 {
            writeStandard("wrnn: error: rank \(rank): an MPI exchange failed (code \(status)); ending the job\n", error: true)
            abort(69)
        }
    }

    public func allGather(_ send: UnsafeRawPointer, bytes: Int, into receive: UnsafeMutableRawPointer) {
        guard bytes <= Int(Int32.max) else {
            writeStandard(
                "wrnn: error: one rank's share of an exchange is \(bytes) bytes, more than MPI's 2 GiB count; use more threads per rank or fewer\n",
                error: true)
            abort(64)
        }
        timed { allgather(send, Int32(bytes), byte, receive, Int32(bytes), byte, world) }
    }

    public func allToAll(_ send: UnsafeRawPointer, bytes: Int, into receive: UnsafeMutableRawPointer) {
        guard bytes <= Int(Int32.max) else {
            writeStandard("wrnn: error: one exchange block is \(bytes) bytes, more than MPI's 2 GiB count\n", error: true)
            abort(64)
        }
        timed { alltoall(send, Int32(bytes), byte, receive, Int32(bytes), byte, world) }
    }

    public func maximum(_ value: Int32) -> Int32 {
        var local = value, result: Int32 = 0
        timed { allreduce(&local, &result, 1, int32, max, world) }
        return result
    }

    public func broadcast(_ bytes: [UInt8]) -> [UInt8] {
        var count = Int64(bytes.count)
        timed { bcast(&count, 8, byte, 0, world) }
        var buffer = rank == 0 ? bytes : [UInt8](repeating: 0, count: Int(count))
        var offset = 0
        while offset < buffer.count {
            let chunk = Swift.min(buffer.count - offset, 1 << 30)
            buffer.withUnsafeMutableBytes { raw in timed { bcast(raw.baseAddress! + offset, Int32(chunk), byte, 0, world) } }
            offset += chunk
        }
        return buffer
    }

    public func abort(_ code: Int32) -> Never {
        _ = abortCall(world, code)
        _exit(code)
    }

    public func finish() {
        guard !finished else { return }
        finished = true
        watch.stop()
        _ = finalize()
    }

    public var communicationSeconds: Double { spent }
}

/// Ends this rank when an exchange has waited longer than WRNN_MPI_TIMEOUT seconds (default 600):
/// another rank has stopped without the launcher noticing. The launcher (mpirun, srun
/// --kill-on-bad-exit) then ends the others, so no rank waits forever.
final class Watch: @unchecked Sendable {
    private let lock = NSLock()
    private var since: UInt64 = 0
    private var running = true
    let limit: Double = ProcessInfo.processInfo.environment["WRNN_MPI_TIMEOUT"].flatMap(Double.init) ?? 600

    func enter() { lock.lock(); since = DispatchTime.now().uptimeNanoseconds; lock.unlock() }
    func leave() { lock.lock(); since = 0; lock.unlock() }
    func stop() { lock.lock(); running = false; lock.unlock() }

    func start(rank: Int) {
        let thread = Thread { [self] in
            while true {
                sleep(1)
                lock.lock()
                let started = since, alive = running
                lock.unlock()
                guard alive else { return }
                guard started != 0 else { continue }
                let waited = Double(DispatchTime.now().uptimeNanoseconds - started) * 1e-9
                if waited > limit {
                    writeStandard(
                        "wrnn: error: rank \(rank) waited \(Int(waited)) s for the other ranks in an exchange (WRNN_MPI_TIMEOUT \(Int(limit)) s): another rank has stopped; ending this one\n",
                        error: true)
                    _exit(69)
                }
            }
        }
        thread.start()
    }
}
