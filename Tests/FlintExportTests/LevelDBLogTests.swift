@testable import FlintExport
import Testing

@Suite struct LevelDBLogTests {
    func records(_ data: [UInt8]) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try LevelDBLogReader.records(data) { _, record in out.append(Array(record)) }
        return out
    }

    @Test func recordsOfEverySizeRoundTripAcrossBlocks() throws {
        let sizes = [0, 1, 100, LevelDBLog.blockSize - 2 * LevelDBLog.headerSize - 3, 5, 70_000, 32_761, 7, 200_000]
        let written = sizes.enumerated().map { i, n in (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ i) } }
        var log = LevelDBLogWriter()
        for r in written { log.append(r) }
        #expect(try records(log.data) == written)
    }

    @Test func checksumsAreMaskedCRC32C() {
        // CRC-32C of "123456789" is 0xE3069283 (the standard check value).
        #expect(CRC32C.update(0, Array("123456789".utf8)) == 0xE306_9283)
        // Extending a CRC equals computing it over the concatenation.
        #expect(CRC32C.update(CRC32C.update(0, [1, 2]), [3]) == CRC32C.update(0, [1, 2, 3]))
    }

    @Test func eightBytesAStepAgreesWithOneByteAStep() {
        func bytewise(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = ~0
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82f6_3b78 : c >> 1 }
            }
            return ~c
        }
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            #expect(CRC32C.update(0, bytes) == bytewise(bytes), "length \(length)")
            // Slices that start at odd offsets too.
            if length > 3 { #expect(CRC32C.update(0, bytes[3...]) == bytewise(Array(bytes[3...]))) }
            #expect(CRC32C.update(0, byte: 7) == bytewise([7]))
        }
    }

    @Test func aFlippedByteIsACorruptionNamingTheRecord() throws {
        var log = LevelDBLogWriter()
        log.append(Array(repeating: 1, count: 10))
        log.append(Array(repeating: 2, count: 10))
        var data = log.data
        data[17 + 7 + 3] ^= 0xFF
        #expect {
            try records(data)
        } throws: { error in
            guard let c = error as? LevelDBLogReader.Corruption else { return false }
            return c.record == 1 && c.offset == 17 && c.reason.contains("checksum")
        }
    }

    @Test func aCutFileIsTruncatedNotShorter() throws {
        var log = LevelDBLogWriter()
        log.append(Array(repeating: 1, count: 10))
        log.append(Array(repeating: 2, count: 50_000))
        for cut in [3, 20, 1000, 40_000] {
            #expect {
                try records(Array(log.data.prefix(log.data.count - cut)))
            } throws: { error in
                (error as? LevelDBLogReader.Corruption)?.reason.contains("truncated") == true
            }
        }
    }
}
