import Foundation

/// One object waiting to go to the store, as kept in the spool (`SPOOL/queue/NNNNNNNNNNNN.json`).
public struct UploadItem: Codable, Sendable, Equatable {
    /// Order of enqueueing; uploads go oldest first.
    public let sequence: UInt64
    /// The local file to send (a sealed segment, or a copy kept in the spool for manifest entries).
    public let path: String
    public let key: String
    /// SHA-256 (hex) and length as sealed: the store must confirm exactly these.
    public let sha256: String
    public let length: Int64
    /// The file is the spool's own copy (SPOOL/data): deleted as soon as the store has it.
    public let spoolOwned: Bool
    /// Seconds since 1970 when it was queued.
    public let enqueuedAt: Double
}

/// A confirmed upload whose local file waits for the local retention to pass (`SPOOL/stored/`).
struct StoredRecord: Codable, Equatable {
    let path: String
    let key: String
    let sha256: String
    let storedAt: Double
}
