#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed-size, contiguous, zero-initialised buffer allocated once and reused: the hot
/// loops only ever see its raw pointer.
public final class Buffer<T>: @unchecked Sendable {
    public let count: Int
    public let pointer: UnsafeMutablePointer<T>

    public init(count: Int, repeating value: T) {
        self.count = count
        pointer = UnsafeMutablePointer<T>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    /// All-zero bytes, written by memset (the generic initialiser would go element by element).
    public init(zeroBytes count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(
            byteCount: max(count, 1) * MemoryLayout<T>.stride,
            alignment: max(64, MemoryLayout<T>.alignment))
        memset(raw, 0, max(count, 1) * MemoryLayout<T>.stride)
        pointer = raw.bindMemory(to: T.self, capacity: max(count, 1))
    }

    public convenience init(_ values: [T]) {
        self.init(count: values.count, repeating: values.first ?? (0 as! T))
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { pointer.deallocate() }

    public subscript(i: Int) -> T {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public var array: [T] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
    public var bytes: Int { count * MemoryLayout<T>.stride }

    public func copy(from other: Buffer<T>) {
        precondition(other.count == count)
        memcpy(pointer, other.pointer, count * MemoryLayout<T>.stride)
    }
}

extension Buffer where T: Scalar {
    public convenience init(zeros count: Int) { self.init(zeroBytes: count) }
    public func zero() { memset(pointer, 0, count * MemoryLayout<T>.stride) }
}

/// One mini-batch of sequences, time-major: inputs [length, batch, inputSize].
/// Targets are class indices ([length, batch] when read every step, [batch] at the last
/// step; -1 marks a position without a target, 0 is the initial value) or real values ([batch, outputSize]).
public final class SequenceBatch<T: Scalar>: @unchecked Sendable {
    public let length: Int
    public let batch: Int
    public let inputSize: Int
    public let inputs: Buffer<T>
    public let classTargets: Buffer<Int32>?
    public let valueTargets: Buffer<T>?

    public init(length: Int, batch: Int, inputSize: Int, classTargets: Int?, valueTargets: Int?) {
        self.length = length
        self.batch = batch
        self.inputSize = inputSize
        inputs = Buffer(zeros: length * batch * inputSize)
        self.classTargets = classTargets.map { Buffer<Int32>(zeroBytes: $0) }
        self.valueTargets = valueTargets.map { Buffer<T>(zeros: $0) }
    }
}
