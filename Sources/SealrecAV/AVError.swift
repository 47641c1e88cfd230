import CFFmpeg

/// An FFmpeg call that failed: the call, FFmpeg's error code and its own message (`av_strerror`).
public struct AVError: Error, CustomStringConvertible, Sendable, Equatable {
    public let call: String
    public let code: Int32
    public let message: String

    public init(call: String, code: Int32) {
        self.call = call
        self.code = code
        self.message = AVError.describe(code)
    }

    /// For failures that are not an FFmpeg return code (missing encoder, bad argument...).
    public init(call: String, message: String) {
        self.call = call
        self.code = sr_averror(EINVAL)
        self.message = message
    }

    public var description: String { "\(call): \(message)" }

    public var isEndOfFile: Bool { code == sr_averror_eof() }
    public var isTryAgain: Bool { code == sr_averror_eagain() }

    static func describe(_ code: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(sr_error_max_string_size()))
        if av_strerror(code, &buffer, buffer.count) < 0 { return "error \(code)" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Checks an FFmpeg return value; negative means failure.
@discardableResult
func check(_ result: Int32, _ call: @autoclosure () -> String) throws(AVError) -> Int32 {
    if result < 0 { throw AVError(call: call(), code: result) }
    return result
}

/// FFmpeg's log goes to stderr; keep it to real errors so the daemon's own log stays readable.
public enum AVLog {
    public static func quiet() { av_log_set_level(AV_LOG_ERROR) }
    public static func silent() { av_log_set_level(AV_LOG_QUIET) }
}
