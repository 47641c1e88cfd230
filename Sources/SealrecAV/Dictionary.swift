import CFFmpeg

/// Options for an FFmpeg open call. What the callee did not consume is reported back, so a
/// misspelt option in a room configuration is an error instead of being silently ignored.
struct OptionDictionary {
    var pointer: OpaquePointer?

    init(_ options: [String: String]) {
        for (key, value) in options.sorted(by: { $0.key < $1.key }) {
            av_dict_set(&pointer, key, value, 0)
        }
    }

    func free() {
        var p = pointer
        av_dict_free(&p)
    }

    var keys: [String] {
        var out: [String] = []
        var entry: UnsafeMutablePointer<AVDictionaryEntry>? = nil
        while true {
            entry = av_dict_get(pointer, "", entry, AV_DICT_IGNORE_SUFFIX)
            guard let e = entry else { break }
            out.append(String(cString: e.pointee.key))
        }
        return out
    }
}
