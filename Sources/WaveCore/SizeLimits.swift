/// The largest sizes any configuration may ask for: beyond them products of sizes could overflow
/// before the memory check can refuse them. Far above anything a CPU trains.
public enum SizeLimits {
    public static let units = 1 << 20 // n, c, the MLP's width
    public static let length = 1 << 20 // T
    public static let batch = 1 << 24 // batch size, test size
    public static let steps = 1 << 40
}
