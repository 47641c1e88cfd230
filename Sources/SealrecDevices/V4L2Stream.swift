import Glibc
import CV4L2
import SealrecSystem

/// What the driver said about one captured picture.
public struct V4L2BufferInfo: Sendable, Equatable {
    /// The driver's frame counter: a jump means it dropped frames.
    public let sequence: UInt32
    /// CLOCK_MONOTONIC nanoseconds of the capture.
    public let captureNanos: Int64
    /// Whether `captureNanos` is the kernel's own stamp (false: taken at dequeue).
    public let kernelTimestamp: Bool
    /// The driver flagged the picture as damaged.
    public let corrupted: Bool
}

/// Memory-mapped streaming from an open device: the driver fills a ring of buffers; each is
/// dequeued, handed to the caller for copying, and queued again at once, so whatever happens
/// downstream the driver never runs out of buffers.
public final class V4L2Stream {
    private let device: V4L2Device
    private var mapped: [(address: UnsafeMutableRawPointer, length: Int)] = []
    private var streaming = false

    public init(device: V4L2Device, bufferCount: Int = 6) throws(DeviceError) {
        self.device = device
        var req = v4l2_requestbuffers()
        req.count = UInt32(bufferCount)
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        req.memory = V4L2_MEMORY_MMAP.rawValue
        try device.ioctl(SR_VIDIOC_REQBUFS, "VIDIOC_REQBUFS", &req)
        guard req.count >= 2 else {
            throw DeviceError("VIDIOC_REQBUFS", device: device.path, errno: ENOMEM, detail: "driver gave \(req.count) buffer(s)")
        }
        do throws(DeviceError) {
            for i in 0..<req.count {
                var buf = emptyBuffer(index: i)
                try device.ioctl(SR_VIDIOC_QUERYBUF, "VIDIOC_QUERYBUF", &buf)
                let address = v4l2_mmap(nil, Int(buf.length), PROT_READ | PROT_WRITE, MAP_SHARED, device.fd, Int64(buf.m.offset))
                guard let address, address != MAP_FAILED else { throw DeviceError("mmap", device: device.path) }
                mapped.append((address, Int(buf.length)))
                try device.ioctl(SR_VIDIOC_QBUF, "VIDIOC_QBUF", &buf)
            }
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            try device.ioctl(SR_VIDIOC_STREAMON, "VIDIOC_STREAMON", &type)
            streaming = true
        } catch {
            unmap()
            throw error
        }
    }

    deinit {
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = v4l2Ioctl(device.fd, SR_VIDIOC_STREAMOFF, &type)
        }
        unmap()
    }

    private func unmap() {
        for m in mapped { v4l2_munmap(m.address, m.length) }
        mapped = []
    }

    private func emptyBuffer(index: UInt32 = 0) -> v4l2_buffer {
        var buf = v4l2_buffer()
        buf.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buf.memory = V4L2_MEMORY_MMAP.rawValue
        buf.index = index
        return buf
    }

    /// Waits up to `timeoutMillis` for a picture; nil on timeout, so the caller can check whether
    /// to stop. The bytes are valid only inside `body`; the buffer goes back to the driver after.
    public func next<R>(timeoutMillis: Int32, _ body: (V4L2BufferInfo, UnsafeRawBufferPointer) throws -> R) throws -> R? {
        var pfd = pollfd(fd: device.fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, timeoutMillis)
        if ready < 0 {
            if Glibc.errno == EINTR { return nil }
            throw DeviceError("poll", device: device.path)
        }
        if ready == 0 { return nil }
        // POLLERR/POLLHUP: DQBUF reports the reason (ENODEV after unplug, EIO after a fatal error).
        var buf = emptyBuffer()
        if v4l2Ioctl(device.fd, SR_VIDIOC_DQBUF, &buf) < 0 {
            if Glibc.errno == EAGAIN { return nil }
            throw DeviceError("VIDIOC_DQBUF", device: device.path)
        }
        let dequeuedAt = MonotonicClock.now()
        defer {
            // Back to the driver whatever the caller did; a failure here shows on the next DQBUF.
            _ = v4l2Ioctl(device.fd, SR_VIDIOC_QBUF, &buf)
        }
        let kernelStamp = buf.flags & UInt32(V4L2_BUF_FLAG_TIMESTAMP_MASK) == UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
        let stamp = Int64(buf.timestamp.tv_sec) * 1_000_000_000 + Int64(buf.timestamp.tv_usec) * 1000
        let info = V4L2BufferInfo(sequence: buf.sequence, captureNanos: kernelStamp ? stamp : dequeuedAt,
                                  kernelTimestamp: kernelStamp, corrupted: buf.flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0)
        let m = mapped[Int(buf.index)]
        return try body(info, UnsafeRawBufferPointer(start: m.address, count: min(Int(buf.bytesused), m.length)))
    }
}
