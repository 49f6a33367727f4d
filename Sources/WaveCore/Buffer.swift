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

    public func fill(_ value: T) { pointer.update(repeating: value, count: count) }
    public func copy(from other: Buffer<T>) { precondition(other.count == count); pointer.update(from: other.pointer, count: count) }
}

extension Buffer where T: Scalar {
    public convenience init(zeros count: Int) { self.init(count: count, repeating: 0) }
}

/// One mini-batch of sequences, time-major: inputs [length, batch, inputSize].
/// Targets are class indices ([length, batch] when read every step, [batch] at the last
/// step; -1 marks a position without a target) or real values ([batch, outputSize]).
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
        self.classTargets = classTargets.map { Buffer<Int32>(count: $0, repeating: -1) }
        self.valueTargets = valueTargets.map { Buffer<T>(zeros: $0) }
    }
}
