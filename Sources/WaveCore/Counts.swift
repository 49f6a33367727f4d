/// "1 step", "2 steps", "1 thread": a count and its noun, singular for one.
public func counted(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }
