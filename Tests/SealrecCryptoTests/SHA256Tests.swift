import Testing
@testable import SealrecCrypto

@Suite struct SHA256Tests {
    @Test func knownAnswers() {
        #expect(SHA256Hasher.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256Hasher.hash([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func streamingEqualsOneShot() {
        let data = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let h = SHA256Hasher()
        var i = 0
        while i < data.count { let n = min(7919, data.count - i); h.update(data[i..<i + n]); i += n }
        #expect(h.finalize() == SHA256Hasher.hash(data))
    }

    @Test func hexRoundTrip() {
        let d = SHA256Hasher.hash(Array("sealrec".utf8))
        #expect(Digest(hex: d.hex) == d)
        #expect(Digest(hex: "zz") == nil)
        #expect(Digest(hex: "abc") == nil)
    }
}
