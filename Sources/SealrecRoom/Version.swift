/// The one version of sealrec: printed by `sealrec --version` and `sealrecd --version`, logged
/// at daemon start, and written into every session entry (`software`).
public enum SealrecVersion {
    public static let number = "0.1.0"
    /// The manifest's `software` member ("sealrec 0.1.0": its format is part of the record).
    public static let string = named("sealrec")
    /// "PROGRAM 0.1.0".
    public static func named(_ program: String) -> String { "\(program) \(number)" }
}
