import Foundation

/// Signals handled on a dispatch queue, never in async-signal context: the default action is
/// turned off (SIG_IGN) and a dispatch source delivers each signal to its handler.
public final class SignalHandlers: @unchecked Sendable {
    private let lock = NSLock()
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    /// Runs `handler` on a global queue each time `signal` arrives.
    public func on(_ signal: Int32, _ handler: @escaping @Sendable () -> Void) {
        Glibc.signal(signal, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
        source.setEventHandler(handler: handler)
        source.resume()
        lock.lock(); sources.append(source); lock.unlock()
    }

    /// Stops delivering (the signals stay ignored: a late one must not kill the process).
    public func cancel() {
        lock.lock(); let all = sources; sources = []; lock.unlock()
        all.forEach { $0.cancel() }
    }
}
