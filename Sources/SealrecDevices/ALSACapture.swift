import Glibc
import CALSA
import SealrecSystem

/// One block of samples as the sound card delivered it.
public struct ALSABlock: Sendable, Equatable {
    public let frames: Int
    /// CLOCK_MONOTONIC nanoseconds at which the block's first sample was captured.
    public let firstSampleNanos: Int64
    /// Whether the time came from the driver's timestamp (false: estimated from the time of the read).
    public let driverTimestamp: Bool
}

/// A capture PCM (hw:CARD=X,DEV=n, plughw:..., default, or any alsa-lib PCM name) opened for
/// interleaved signed 16-bit samples. Non-blocking: `read` waits with a timeout, so the capture
/// thread can always notice a stop request.
public final class ALSACapture {
    public let name: String
    public let rate: Int
    public let channels: Int
    public let periodFrames: Int
    public let bufferFrames: Int
    public static let bytesPerSample = 2
    /// Overruns recovered so far (the application did not read in time; samples were lost).
    public private(set) var overruns = 0
    private let pcm: OpaquePointer

    public init(name: String, rate: Int, channels: Int, periodMillis: Int = 20, bufferMillis: Int = 500) throws(DeviceError) {
        sr_alsa_silence()
        var handle: OpaquePointer?
        var r = snd_pcm_open(&handle, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK)
        guard r == 0, let handle else {
            throw DeviceError.alsa("snd_pcm_open", device: name, code: r, detail: "list microphones with: sealrec devices")
        }
        pcm = handle
        self.name = name
        do throws(DeviceError) {
            let hw = try HardwareParameters(pcm: handle, device: name)
            try hw.require(rate: rate, channels: channels)
            let (period, buffer) = try hw.install(periodFrames: rate * periodMillis / 1000, bufferFrames: rate * bufferMillis / 1000)
            (self.rate, self.channels, periodFrames, bufferFrames) = (rate, channels, period, buffer)
            try ALSACapture.setTimestamping(pcm: handle, device: name, availMin: period)
            r = snd_pcm_prepare(handle)
            if r == 0 { r = snd_pcm_start(handle) }
            if r < 0 { throw DeviceError.alsa("snd_pcm_start", device: name, code: r) }
        } catch {
            snd_pcm_close(handle)
            throw error
        }
    }

    deinit { snd_pcm_close(pcm) }

    /// Driver timestamps on CLOCK_MONOTONIC, the clock every capture time in sealrec is on.
    private static func setTimestamping(pcm: OpaquePointer, device: String, availMin: Int) throws(DeviceError) {
        var sw: OpaquePointer?
        snd_pcm_sw_params_malloc(&sw)
        defer { snd_pcm_sw_params_free(sw) }
        var r = snd_pcm_sw_params_current(pcm, sw)
        if r == 0 { r = snd_pcm_sw_params_set_tstamp_mode(pcm, sw, SND_PCM_TSTAMP_ENABLE) }
        if r == 0 { r = snd_pcm_sw_params_set_tstamp_type(pcm, sw, SND_PCM_TSTAMP_TYPE_MONOTONIC) }
        if r == 0 { r = snd_pcm_sw_params_set_avail_min(pcm, sw, snd_pcm_uframes_t(availMin)) }
        if r == 0 { r = snd_pcm_sw_params(pcm, sw) }
        if r < 0 { throw DeviceError.alsa("snd_pcm_sw_params", device: device, code: r) }
    }

    /// Reads up to `buffer.count / (2 * channels)` frames, waiting at most `timeoutMillis`.
    /// nil on timeout or after recovering from an overrun (the next block's time shows the hole).
    public func read(into buffer: UnsafeMutableRawBufferPointer, timeoutMillis: Int32) throws(DeviceError) -> ALSABlock? {
        let ready = snd_pcm_wait(pcm, timeoutMillis)
        if ready == 0 { return nil }
        if ready < 0 { try recover(ready, call: "snd_pcm_wait"); return nil }
        _ = snd_pcm_avail_update(pcm)
        var avail: snd_pcm_uframes_t = 0
        var stamp = snd_htimestamp_t()
        let stamped = snd_pcm_htimestamp(pcm, &avail, &stamp) == 0 && (stamp.tv_sec != 0 || stamp.tv_nsec != 0)
        let readAt = MonotonicClock.now()
        let capacity = buffer.count / (ALSACapture.bytesPerSample * channels)
        let got = snd_pcm_readi(pcm, buffer.baseAddress, snd_pcm_uframes_t(capacity))
        if got == -Int(EAGAIN) || got == 0 { return nil }
        if got < 0 { try recover(Int32(got), call: "snd_pcm_readi"); return nil }
        // The stamp is when the hardware pointer was last updated, `avail` frames past the oldest
        // unread one, which is the first frame just read.
        let behind = Int64(avail) * 1_000_000_000 / Int64(rate)
        let first = (stamped ? Int64(stamp.tv_sec) * 1_000_000_000 + Int64(stamp.tv_nsec) : readAt) - behind
        return ALSABlock(frames: got, firstSampleNanos: first, driverTimestamp: stamped)
    }

    /// Overruns and suspends are recovered here and counted; anything else (device gone) is thrown.
    private func recover(_ code: Int32, call: String) throws(DeviceError) {
        guard code == -EPIPE || code == -ESTRPIPE else { throw DeviceError.alsa(call, device: name, code: code) }
        overruns += 1
        var r = snd_pcm_recover(pcm, code, 1)
        if r == 0 { r = snd_pcm_start(pcm) }
        if r < 0 { throw DeviceError.alsa("snd_pcm_recover", device: name, code: r) }
    }
}
