// The shipped tasks' kinds, for the code that builds a configuration of one by name (tests,
// benchmarks, the demo go through `TaskKind.standard` or the registry instead).
extension TaskKind {
    public static let copy = CopyTaskDescription.kind
    public static let adding = AddingTaskDescription.kind
    public static let smnist = SMNISTDescription.kind
    public static let psmnist = PSMNISTDescription.kind
    public static let sfmnist = SFMNISTDescription.kind
    public static let psfmnist = PSFMNISTDescription.kind
    public static let nscifar10 = NoisyCIFARDescription.kind
    public static let sequences = SequencesDescription.kind
}
