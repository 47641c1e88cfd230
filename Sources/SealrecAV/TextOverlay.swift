import CFFmpeg
import Foundation

/// Burns a line of text into pictures with libavfilter's drawtext (FreeType, a real font). The text
/// comes from a file so that drawtext's own expansions work: `%{pts:gmtime:OFFSET:FORMAT}` renders
/// each frame's time from its own timestamp, never from the clock at drawing time.
public final class TextOverlay: @unchecked Sendable {
    private var graph: UnsafeMutablePointer<AVFilterGraph>?
    private let source: UnsafeMutablePointer<AVFilterContext>
    private let sink: UnsafeMutablePointer<AVFilterContext>

    public struct Style: Sendable {
        public var fontFile: String
        public var fontSize: Int
        public var x: Int
        /// Distance of the text's baseline box from the bottom edge.
        public var bottomMargin: Int
        public init(fontFile: String, fontSize: Int, x: Int, bottomMargin: Int) {
            self.fontFile = fontFile; self.fontSize = fontSize; self.x = x; self.bottomMargin = bottomMargin
        }
    }

    /// - Parameters:
    ///   - textFile: the text, re-read every frame when `reload` (changing readings).
    ///   - frameRate: frames pushed carry pts in 1/frameRate.
    public init(width: Int, height: Int, frameRate: Int, textFile: String, reload: Bool, style: Style) throws(AVError) {
        guard FileManager.default.isReadableFile(atPath: style.fontFile) else {
            throw AVError(call: "drawtext", message: "font file \(style.fontFile) does not exist or is not readable")
        }
        graph = avfilter_graph_alloc()
        guard let g = graph else { throw AVError(call: "avfilter_graph_alloc", message: "out of memory") }
        g.pointee.nb_threads = 1
        func make(_ filter: String, _ name: String, _ options: [String: String]) throws(AVError) -> UnsafeMutablePointer<AVFilterContext> {
            guard let f = avfilter_get_by_name(filter), let ctx = avfilter_graph_alloc_filter(g, f, name) else {
                throw AVError(call: "avfilter_graph_alloc_filter", message: "no filter \(filter) in this FFmpeg")
            }
            var dict = OptionDictionary(options)
            defer { dict.free() }
            try check(avfilter_init_dict(ctx, &dict.pointer), "\(filter) (\(options.keys.sorted().joined(separator: ",")))")
            return ctx
        }
        do {
            source = try make("buffer", "in", ["video_size": "\(width)x\(height)", "pix_fmt": "\(AV_PIX_FMT_YUV420P.rawValue)",
                                               "time_base": "1/\(frameRate)", "pixel_aspect": "1/1"])
            let text = try make("drawtext", "text", [
                "fontfile": style.fontFile, "textfile": textFile, "reload": reload ? "1" : "0",
                "fontsize": String(style.fontSize), "fontcolor": "white", "box": "1", "boxcolor": "black@0.6",
                "boxborderw": String(max(2, style.fontSize / 4)), "x": String(style.x), "y": "h-th-\(style.bottomMargin)",
            ])
            sink = try make("buffersink", "out", [:])
            try check(avfilter_link(source, 0, text, 0), "avfilter_link(buffer, drawtext)")
            try check(avfilter_link(text, 0, sink, 0), "avfilter_link(drawtext, buffersink)")
            try check(avfilter_graph_config(g, nil), "avfilter_graph_config(drawtext)")
        } catch {
            avfilter_graph_free(&graph)
            throw error
        }
    }

    deinit { avfilter_graph_free(&graph) }

    /// Draws onto `frame` (its pts in 1/frameRate). Takes the frame's picture; returns the result.
    public func apply(_ frame: Frame) throws(AVError) -> Frame {
        try check(av_buffersrc_add_frame_flags(source, frame.pointer, 0), "av_buffersrc_add_frame")
        let out = Frame()
        try check(av_buffersink_get_frame(sink, out.pointer), "av_buffersink_get_frame")
        return out
    }
}
