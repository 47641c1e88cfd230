import Foundation
import SealrecSystem

/// The link between two pipeline elements (a pad pair): a bounded FIFO owned by no thread.
/// Capture-side producers use `offer`, which never blocks and counts what it had to drop;
/// other producers use `put`, which waits for room (back-pressure that stops at the capture queue).
/// Items that must neither wait nor take a slot the producers need (an operator's marker) go in a
/// small lane beside the ring with `offerBeside`; consumers take those first.
public final class BoundedQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    // A ring of optionals: a taken slot is emptied at once, so a queue never keeps a frame alive.
    private var ring: [Element?]
    private var head = 0
    private var count = 0
    private var closed = false
    public let capacity: Int
    private var droppedCount = 0
    /// Per slot: how many offers were dropped just before its item went in. A consumer learns where
    /// the hole is (before this item), not merely that the count went up while older items waited.
    private var dropsBefore: [Int]
    private var dropsSinceLastAdded = 0
    private var beside: [Element] = []
    public let besideCapacity: Int

    public init(capacity: Int, besideCapacity: Int = 0) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.besideCapacity = besideCapacity
        ring = Array(repeating: nil, count: capacity)
        dropsBefore = Array(repeating: 0, count: capacity)
    }

    /// Adds without waiting; false (and counted as dropped) when full or closed.
    @discardableResult
    public func offer(_ item: Element) -> Bool {
        condition.lock(); defer { condition.unlock() }
        guard !closed, count < capacity else { droppedCount += 1; dropsSinceLastAdded += 1; return false }
        append(item)
        return true
    }

    /// Adds, waiting for room; false if the queue was closed.
    @discardableResult
    public func put(_ item: Element) -> Bool {
        condition.lock(); defer { condition.unlock() }
        while !closed && count >= capacity { condition.wait() }
        guard !closed else { return false }
        append(item)
        return true
    }

    /// Adds to the lane beside the ring without waiting; false when that lane is full or the queue
    /// closed (not counted as a drop: the caller refuses, nothing captured was lost).
    @discardableResult
    public func offerBeside(_ item: Element) -> Bool {
        condition.lock(); defer { condition.unlock() }
        guard !closed, beside.count < besideCapacity else { return false }
        beside.append(item)
        condition.broadcast()
        return true
    }

    private func append(_ item: Element) {
        ring[(head + count) % capacity] = item
        dropsBefore[(head + count) % capacity] = dropsSinceLastAdded
        dropsSinceLastAdded = 0
        count += 1
        condition.broadcast()
    }

    /// Next item, waiting for one; nil once the queue is closed and empty.
    public func take() -> Element? { takeCounted()?.item }

    /// Next item and how many offers were dropped right before it (the hole it follows).
    public func takeCounted() -> (item: Element, droppedBefore: Int)? {
        condition.lock(); defer { condition.unlock() }
        while count == 0 && beside.isEmpty && !closed { condition.wait() }
        if !beside.isEmpty { return (beside.removeFirst(), 0) }
        guard count > 0, let item = ring[head].take() else { return nil }
        let drops = dropsBefore[head]
        head = (head + 1) % capacity
        count -= 1
        condition.broadcast()
        return (item, drops)
    }

    public enum Poll { case item(Element), timedOut, closed }

    /// Next item, waiting at most until a CLOCK_MONOTONIC deadline (nanoseconds).
    public func poll(until deadline: Int64) -> Poll {
        condition.lock(); defer { condition.unlock() }
        while count == 0 && beside.isEmpty && !closed {
            let remaining = Double(deadline - MonotonicClock.now()) / 1e9
            if remaining <= 0 { return .timedOut }
            _ = condition.wait(until: Date().addingTimeInterval(remaining))
        }
        if !beside.isEmpty { return .item(beside.removeFirst()) }
        guard count > 0 else { return .closed }
        let item = ring[head].take()!
        head = (head + 1) % capacity
        count -= 1
        condition.broadcast()
        return .item(item)
    }

    /// No more items will be added; consumers drain what is left.
    public func close() {
        condition.lock(); closed = true; condition.broadcast(); condition.unlock()
    }

    /// Items dropped by `offer` so far.
    public var dropped: Int { condition.lock(); defer { condition.unlock() }; return droppedCount }
    public var depth: Int { condition.lock(); defer { condition.unlock() }; return count }
}
