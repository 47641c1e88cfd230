import Foundation
import SealrecFormat

/// A snapshot of the upload queue for `sealrec status` and the log.
public struct UploadStatus: Sendable {
    public let store: String
    public let backlogItems: Int
    public let backlogBytes: Int64
    public let inFlight: Int
    public let uploadedItems: Int
    public let uploadedBytes: Int64
    /// Bytes per second over the last minute of completed uploads (0 when none).
    public let bytesPerSecond: Double
    /// Seconds until the backlog is clear at that rate; nil when nothing has been measured yet or
    /// the store is failing (no honest estimate then).
    public let estimatedSecondsToClear: Double?
    /// The last failure (cleared by the next success): its kind tag and its message.
    public let lastErrorKind: String?
    public let lastError: String?
    public let lastErrorAt: Date?
    public let lastSuccessAt: Date?

    /// For a terminal or the journal: the store's name and its error message are escaped.
    public func text() -> String {
        var lines = ["store: \(SafeText.escape(store))",
                     "backlog: \(backlogItems) items, \(Self.bytes(backlogBytes)) (\(inFlight) uploading)",
                     "uploaded: \(uploadedItems) items, \(Self.bytes(uploadedBytes)); throughput \(Self.bytes(Int64(bytesPerSecond)))/s"]
        if backlogItems == 0 {
            lines.append("clear")
        } else if let eta = estimatedSecondsToClear {
            lines.append(String(format: "estimated clear in %.0f s", eta.rounded(.up)))
        } else {
            lines.append("estimated clear: unknown")
        }
        if let lastError, let lastErrorKind { lines.append("last error (\(lastErrorKind)): \(SafeText.escape(lastError))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The same as a JSON object (for the daemon's control socket); absent values are null.
    public func json() -> String {
        let object: [String: Any] = [
            "store": store, "backlog_items": backlogItems, "backlog_bytes": backlogBytes, "in_flight": inFlight,
            "uploaded_items": uploadedItems, "uploaded_bytes": uploadedBytes, "bytes_per_second": bytesPerSecond,
            "estimated_seconds_to_clear": estimatedSecondsToClear ?? NSNull(),
            "last_error_kind": lastErrorKind ?? NSNull(), "last_error": lastError ?? NSNull(),
            "last_error_at": lastErrorAt.map { $0.timeIntervalSince1970 } ?? NSNull(),
            "last_success_at": lastSuccessAt.map { $0.timeIntervalSince1970 } ?? NSNull(),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func bytes(_ n: Int64) -> String {
        n >= 1 << 20 ? String(format: "%.1f MiB", Double(n) / 1_048_576) : n >= 1024 ? String(format: "%.1f KiB", Double(n) / 1024) : "\(n) B"
    }
}
