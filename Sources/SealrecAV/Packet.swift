import CFFmpeg

/// One encoded access unit. Owns its AVPacket; handed between threads, never shared.
public final class Packet: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<AVPacket>

    init() {
        guard let p = av_packet_alloc() else { fatalError("av_packet_alloc: out of memory") }
        pointer = p
    }

    deinit {
        var p: UnsafeMutablePointer<AVPacket>? = pointer
        av_packet_free(&p)
    }

    public var pts: Int64 { get { pointer.pointee.pts } set { pointer.pointee.pts = newValue } }
    public var dts: Int64 { get { pointer.pointee.dts } set { pointer.pointee.dts = newValue } }
    public var duration: Int64 { get { pointer.pointee.duration } set { pointer.pointee.duration = newValue } }
    public var isKeyframe: Bool { pointer.pointee.flags & AV_PKT_FLAG_KEY != 0 }
    public var size: Int { Int(pointer.pointee.size) }
    public static var noTimestamp: Int64 { sr_nopts_value() }
}
