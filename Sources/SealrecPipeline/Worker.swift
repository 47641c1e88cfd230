import Foundation

/// A named thread running one job, that can be waited for: every element of the pipeline runs on
/// one (capture sources, encoders, the muxer), never on the 2-thread cooperative pool.
public final class Worker: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)

    public init(name: String, qos: QualityOfService = .default, _ body: @escaping @Sendable () -> Void) {
        let t = Thread { [done] in
            body()
            done.signal()
        }
        t.name = name
        t.qualityOfService = qos
        t.start()
    }

    /// Waits until the job has returned (callable any number of times, from any thread).
    public func join() {
        done.wait()
        done.signal()
    }
}
