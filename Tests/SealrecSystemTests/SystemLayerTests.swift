import Foundation
import Testing
@testable import SealrecSystem

/// A fresh folder per test, removed afterwards.
private final class Scratch {
    let path: String
    init() { path = NSTemporaryDirectory() + "sealrec-system-" + UUID().uuidString; mkdir(path, 0o700) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func file(_ name: String, _ text: String) -> String {
        let p = path + "/" + name
        FileManager.default.createFile(atPath: p, contents: Data(text.utf8))
        return p
    }
    func read(_ name: String) -> String? { FileManager.default.contents(atPath: path + "/" + name).map { String(decoding: $0, as: UTF8.self) } }
}

@Suite struct SystemErrorTests {
    @Test func aFailedCallCarriesItsErrnoAndNamesCallAndPath() {
        let scratch = Scratch()
        let missing = scratch.path + "/absent/file"
        #expect(throws: SystemError("open", path: missing, errno: ENOENT)) { try Files.open(missing, O_RDONLY) }
        do { _ = try Files.open(missing, O_RDONLY); Issue.record("opened a missing file") } catch {
            #expect(error.errno == ENOENT)
            #expect(error.description == "open \(missing): No such file or directory")
        }
    }

    @Test func bothWordingsKeepTheirForm() {
        #expect(SystemError("write", path: "m.jsonl", errno: EFBIG, wording: .pathFirst).description == "m.jsonl: write failed: File too large")
        #expect(SystemError("fsync", path: "/x", errno: EIO).description == "fsync /x: Input/output error")
        #expect(SystemError("socket(AF_UNIX)", errno: EMFILE).description == "socket(AF_UNIX): Too many open files")
        #expect(SystemError("write", errno: ENOSPC).isDiskFull && SystemError("write", errno: EDQUOT).isDiskFull)
        #expect(!SystemError("write", errno: EIO).isDiskFull)
    }

    @Test func interruptedCallsAreRunAgainAndOtherFailuresAreNot() {
        var calls = 0
        let result = retryingInterrupts { () -> Int32 in
            calls += 1
            if calls < 3 { errno = EINTR; return -1 }
            return 7
        }
        #expect(result == 7 && calls == 3)

        calls = 0
        let failed = retryingInterrupts { () -> Int in calls += 1; errno = EBADF; return -1 }
        #expect(failed == -1 && calls == 1 && errno == EBADF)
    }

    /// A real interrupted read: SIGALRM (with a handler, no SA_RESTART) lands while read(2) waits on
    /// an empty pipe; the read is run again and returns the byte written afterwards.
    @Test func aReadInterruptedByASignalIsRunAgain() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        action.sa_flags = 0  // no SA_RESTART: the kernel returns EINTR to the reader
        var previous = sigaction()
        sigaction(SIGALRM, &action, &previous)
        defer { sigaction(SIGALRM, &previous, nil) }
        let reader = pthread_self(), readEnd = fds[0], writeEnd = fds[1]
        let writer = Thread {
            usleep(50_000)
            pthread_kill(reader, SIGALRM)  // interrupts the waiting read
            usleep(50_000)
            var byte: UInt8 = 42
            _ = write(writeEnd, &byte, 1)
        }
        writer.start()
        var buffer = [UInt8](repeating: 0, count: 1)
        let n = try buffer.withUnsafeMutableBytes { (raw) throws(Errno) in try FileDescriptor(rawValue: readEnd).read(into: raw) }
        #expect(n == 1 && buffer[0] == 42)
    }
}

@Suite struct DurableWriteTests {
    @Test func anAtomicWriteReplacesTheWholeFileAndLeavesNoTemporary() throws {
        let scratch = Scratch()
        let path = scratch.file("marker.json", "old contents that are longer")
        try Files.writeAtomically(Array("new".utf8), to: path, mode: 0o600)
        #expect(scratch.read("marker.json") == "new")
        #expect(!FileManager.default.fileExists(atPath: path + ".tmp"))
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
    }

    @Test func aFailedAtomicWriteLeavesTheOldContents() {
        let scratch = Scratch()
        let path = scratch.file("marker.json", "old")
        mkdir(path + ".tmp", 0o700)  // the temporary cannot be created: the write fails before the rename
        #expect(throws: SystemError.self) { try Files.writeAtomically(Array("new".utf8), to: path) }
        #expect(scratch.read("marker.json") == "old")
    }

    @Test func aLeftoverTemporaryLinkIsReplacedNotFollowed() throws {
        let scratch = Scratch()
        let victim = scratch.file("victim", "untouched")
        let path = scratch.path + "/marker.json"
        symlink(victim, path + ".tmp")
        try Files.writeAtomically(Array("new".utf8), to: path)
        #expect(scratch.read("victim") == "untouched")
        #expect(scratch.read("marker.json") == "new")
    }

    @Test func anEvidenceFileIsNeverReplaced() {
        let scratch = Scratch()
        let path = scratch.file("manifest.jsonl", "line 1\n")
        do { _ = try DurableFile.createNew(path, mode: 0o644); Issue.record("replaced an existing file") } catch {
            #expect(error.alreadyExists)
            #expect(error.description == "\(path): create failed: File exists")
        }
        #expect(scratch.read("manifest.jsonl") == "line 1\n")
    }

    @Test func truncatingDropsATornLineAndWritesOnFromThere() throws {
        let scratch = Scratch()
        let path = scratch.file("manifest.jsonl", "line 1\ntorn li")
        let file = try DurableFile.openExisting(path)
        try file.truncate(to: 7)
        try file.write(Array("line 2\n".utf8))
        try file.sync()
        #expect(try file.size() == 14)
        #expect(scratch.read("manifest.jsonl") == "line 1\nline 2\n")
    }

    @Test func writeNewCreatesWithTheModeAndTheBytes() throws {
        let scratch = Scratch()
        let path = scratch.path + "/room.key"
        try DurableFile.writeNew(path, bytes: Array("secret".utf8), mode: 0o600)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(scratch.read("room.key") == "secret")
    }

    @Test func parentFolders() {
        #expect(Files.parentFolder(of: "/a/b/c") == "/a/b")
        #expect(Files.parentFolder(of: "/c") == "/")
        #expect(Files.parentFolder(of: "c") == ".")
    }
}

@Suite struct UntrustedFileTests {
    @Test func readsAFileWithinItsBound() throws {
        let scratch = Scratch()
        let path = scratch.file("key.pem", "12345")
        #expect(try UntrustedFile(path).readAll(limit: 5) == Array("12345".utf8))
    }

    @Test func refusesOneByteOverTheBound() {
        let scratch = Scratch()
        let path = scratch.file("key.pem", "123456")
        #expect(throws: UntrustedFileError.tooLong(path: path, limit: 5)) { try UntrustedFile(path).readAll(limit: 5) }
    }

    @Test func refusesASymbolicLinkUnlessTheOperatorNamedIt() throws {
        let scratch = Scratch()
        let target = scratch.file("real", "abc")
        let link = scratch.path + "/link"
        symlink(target, link)
        #expect(throws: UntrustedFileError.symbolicLink(path: link)) { try UntrustedFile(link) }
        #expect(try UntrustedFile(link, followingLinks: true).readAll(limit: 10) == Array("abc".utf8))
    }

    @Test func refusesAFIFOWithoutWaitingAndAFolder() {
        let scratch = Scratch()
        let fifo = scratch.path + "/fifo"
        mkfifo(fifo, 0o600)
        #expect(throws: UntrustedFileError.notRegular(path: fifo, kind: "a FIFO")) { try UntrustedFile(fifo) }
        #expect(throws: UntrustedFileError.notRegular(path: scratch.path, kind: "a directory")) { try UntrustedFile(scratch.path) }
    }

    @Test func aMissingFileCarriesItsErrno() {
        let missing = "/nonexistent-\(UUID().uuidString)"
        do { _ = try UntrustedFile(missing); Issue.record("opened a missing file") } catch {
            guard case let .file(e) = error else { Issue.record("\(error)"); return }
            #expect(e.errno == ENOENT && e.description == "\(missing): open failed: No such file or directory")
        }
    }
}

@Suite struct ClockAndDiskTests {
    @Test func sleepUntilWakesAtOrAfterTheDeadline() {
        let deadline = MonotonicClock.now() + 20_000_000
        MonotonicClock.sleep(until: deadline)
        #expect(MonotonicClock.now() >= deadline)
    }

    @Test func freeBytesOfAFolderAndOfNothing() {
        #expect((DiskSpace.freeBytes(NSTemporaryDirectory()) ?? 0) > 0)
        #expect(DiskSpace.freeBytes("/nonexistent-\(UUID().uuidString)") == nil)
    }
}
