import Foundation
import SealrecFormat

/// Queues a whole session folder for upload at once (`sealrec upload`): one poll of a
/// `SessionFollower`, so exactly the objects the daemon queues while recording. Safe to repeat.
public enum SessionUpload {
    public struct Summary: Sendable {
        public let layout: SessionLayout
        public let entries: Int
        public let segments: Int
        public let closed: Bool
    }

    public static func enqueue(folder: String, into queue: UploadQueue) throws(StoreError) -> Summary {
        let follower = SessionFollower(folder: folder, queue: queue)
        try follower.poll()
        guard let layout = follower.layout else {
            throw .localFile(path: folder + "/" + SessionFiles.manifest, detail: "no complete manifest entry: not a sealed session folder")
        }
        return Summary(layout: layout, entries: follower.entries, segments: follower.segments, closed: follower.ended)
    }
}
