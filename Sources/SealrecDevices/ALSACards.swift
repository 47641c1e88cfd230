import Glibc
import CALSA

/// A capture device on a sound card, with the stable names to configure it by.
public struct MicrophoneInfo: Sendable, Codable, Equatable {
    public let card: Int
    public let cardID: String
    public let cardName: String
    public let device: Int
    public let deviceName: String
    /// hw:CARD=ID,DEV=N: stable across reboots and card order, no conversion.
    public let pcm: String
    /// plughw:CARD=ID,DEV=N: the same device with alsa-lib converting rate, format and channels.
    public let plugPCM: String
    public let rates: [Int]
    public let minChannels: Int
    public let maxChannels: Int
    /// Why the device could not be examined (e.g. in use by another program).
    public let problem: String?
}

public enum ALSACards {
    /// Every capture device on every sound card.
    public static func microphones() -> [MicrophoneInfo] {
        sr_alsa_silence()
        var result: [MicrophoneInfo] = []
        var card: Int32 = -1
        while snd_card_next(&card) == 0, card >= 0 {
            var ctl: OpaquePointer?
            guard snd_ctl_open(&ctl, "hw:\(card)", 0) == 0, let ctl else { continue }
            defer { snd_ctl_close(ctl) }
            var cardInfo: OpaquePointer?
            snd_ctl_card_info_malloc(&cardInfo)
            defer { snd_ctl_card_info_free(cardInfo) }
            guard snd_ctl_card_info(ctl, cardInfo) == 0 else { continue }
            let id = String(cString: snd_ctl_card_info_get_id(cardInfo))
            let cardName = String(cString: snd_ctl_card_info_get_name(cardInfo))
            var device: Int32 = -1
            while snd_ctl_pcm_next_device(ctl, &device) == 0, device >= 0 {
                guard let name = captureDeviceName(ctl: ctl, device: device) else { continue }
                result.append(describe(card: Int(card), id: id, cardName: cardName, device: Int(device), name: name))
            }
        }
        return result
    }

    /// The device's name if it can capture.
    private static func captureDeviceName(ctl: OpaquePointer, device: Int32) -> String? {
        var info: OpaquePointer?
        snd_pcm_info_malloc(&info)
        defer { snd_pcm_info_free(info) }
        snd_pcm_info_set_device(info, UInt32(device))
        snd_pcm_info_set_subdevice(info, 0)
        snd_pcm_info_set_stream(info, SND_PCM_STREAM_CAPTURE)
        guard snd_ctl_pcm_info(ctl, info) == 0 else { return nil }
        return String(cString: snd_pcm_info_get_name(info))
    }

    private static func describe(card: Int, id: String, cardName: String, device: Int, name: String) -> MicrophoneInfo {
        let pcmName = "hw:CARD=\(id),DEV=\(device)"
        var rates: [Int] = [], channels = 0...0, problem: String?
        var handle: OpaquePointer?
        let r = snd_pcm_open(&handle, pcmName, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK)
        if r == 0, let handle {
            if let hw = try? HardwareParameters(pcm: handle, device: pcmName) {
                rates = hw.supportedRates
                channels = hw.channelRange
            }
            snd_pcm_close(handle)
        } else {
            problem = String(cString: snd_strerror(r))
        }
        return MicrophoneInfo(card: card, cardID: id, cardName: cardName, device: device, deviceName: name,
                              pcm: pcmName, plugPCM: "plug" + pcmName, rates: rates,
                              minChannels: channels.lowerBound, maxChannels: channels.upperBound, problem: problem)
    }

    /// A description of what an ALSA PCM name offers, for an error message ("" if it cannot be opened).
    public static func summary(ofPCM name: String) -> String {
        var handle: OpaquePointer?
        guard snd_pcm_open(&handle, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK) == 0, let handle else { return "" }
        defer { snd_pcm_close(handle) }
        return (try? HardwareParameters(pcm: handle, device: name))?.summary ?? ""
    }
}
