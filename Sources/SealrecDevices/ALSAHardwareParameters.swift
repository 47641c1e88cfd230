import Glibc
import CALSA

/// The hardware-parameter space of an open PCM: what it can do, and the choice made from it.
final class HardwareParameters {
    let pcm: OpaquePointer
    let device: String
    private var params: OpaquePointer?

    init(pcm: OpaquePointer, device: String) throws(DeviceError) {
        self.pcm = pcm
        self.device = device
        snd_pcm_hw_params_malloc(&params)
        let r = snd_pcm_hw_params_any(pcm, params)
        if r < 0 { snd_pcm_hw_params_free(params); throw DeviceError.alsa("snd_pcm_hw_params_any", device: device, code: r) }
    }

    deinit { snd_pcm_hw_params_free(params) }

    var rateRange: ClosedRange<Int> {
        var lo: UInt32 = 0, hi: UInt32 = 0, dir: Int32 = 0
        snd_pcm_hw_params_get_rate_min(params, &lo, &dir)
        snd_pcm_hw_params_get_rate_max(params, &hi, &dir)
        return Int(lo)...Int(max(lo, hi))
    }

    var channelRange: ClosedRange<Int> {
        var lo: UInt32 = 0, hi: UInt32 = 0
        snd_pcm_hw_params_get_channels_min(params, &lo)
        snd_pcm_hw_params_get_channels_max(params, &hi)
        return Int(lo)...Int(max(lo, hi))
    }

    static let commonRates = [8000, 11025, 16000, 22050, 32000, 44100, 48000, 88200, 96000, 176400, 192000]

    /// The common rates the device accepts (a range like 8000-192000 is listed by its common members).
    var supportedRates: [Int] {
        HardwareParameters.commonRates.filter { snd_pcm_hw_params_test_rate(pcm, params, UInt32($0), 0) == 0 }
    }

    var supportsS16: Bool { snd_pcm_hw_params_test_format(pcm, params, SND_PCM_FORMAT_S16_LE) == 0 }

    /// What a microphone offers, for error messages and `sealrec devices`.
    var summary: String {
        "rates \(supportedRates.map(String.init).joined(separator: ", ")) Hz; channels \(channelRange.lowerBound)-\(channelRange.upperBound)"
            + (supportsS16 ? "" : "; no s16 samples")
    }

    /// Exactly the configured rate and channels as interleaved s16, or an error saying what the
    /// device offers (plughw: converts anything, hw: is strict).
    func require(rate: Int, channels: Int) throws(DeviceError) {
        let offer = summary
        func check(_ r: Int32, _ what: String) throws(DeviceError) {
            if r < 0 { throw DeviceError("negotiate \(what)", device: device, errno: -r, detail: "it supports: \(offer)") }
        }
        try check(snd_pcm_hw_params_set_access(pcm, params, SND_PCM_ACCESS_RW_INTERLEAVED), "interleaved access")
        try check(snd_pcm_hw_params_set_format(pcm, params, SND_PCM_FORMAT_S16_LE), "s16 samples")
        try check(snd_pcm_hw_params_set_channels(pcm, params, UInt32(channels)), "\(channels) channel(s)")
        try check(snd_pcm_hw_params_set_rate(pcm, params, UInt32(rate), 0), "\(rate) Hz")
    }

    /// Chooses period and buffer sizes near those asked for and installs the parameters.
    func install(periodFrames: Int, bufferFrames: Int) throws(DeviceError) -> (period: Int, buffer: Int) {
        var period = snd_pcm_uframes_t(periodFrames), buffer = snd_pcm_uframes_t(bufferFrames)
        var dir: Int32 = 0
        var r = snd_pcm_hw_params_set_period_size_near(pcm, params, &period, &dir)
        if r == 0 { r = snd_pcm_hw_params_set_buffer_size_near(pcm, params, &buffer) }
        if r == 0 { r = snd_pcm_hw_params(pcm, params) }
        if r < 0 { throw DeviceError.alsa("snd_pcm_hw_params", device: device, code: r) }
        return (Int(period), Int(buffer))
    }
}
