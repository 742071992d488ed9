import Foundation

/// The LevelDB log format that export files use: 32 KiB blocks of records, each with a 7-byte
/// header (masked CRC-32C of type and payload, little-endian length, type). A payload that does not
/// fit the rest of a block is split into FIRST, MIDDLE… and LAST fragments; a block tail shorter
/// than a header is zero-filled.
enum LevelDBLog {
    static let blockSize = 32 * 1024
    static let headerSize = 7

    enum RecordType: UInt8 {
        case full = 1, first = 2, middle = 3, last = 4
    }

    /// LevelDB stores CRCs masked, so a CRC of data holding CRCs stays well distributed.
    static func mask(_ crc: UInt32) -> UInt32 { ((crc >> 15) | (crc << 17)) &+ 0xa282_ead8 }
}

/// Appends records to a log file being built in memory (all of it, or the part not yet written
/// out: see `removeBuffered`).
struct LevelDBLogWriter {
    private(set) var data: [UInt8] = []
    private var blockOffset = 0

    init(capacity: Int = 0) { data.reserveCapacity(capacity) }

    /// Forgets the bytes held (once written out), keeping the place in the file.
    mutating func removeBuffered() { data.removeAll(keepingCapacity: true) }

    mutating func append(_ record: [UInt8]) { record.withUnsafeBytes { append($0) } }

    mutating func append(_ record: UnsafeRawBufferPointer) {
        var rest = record
        var begin = true
        repeat {
            let leftover = LevelDBLog.blockSize - blockOffset
            if leftover < LevelDBLog.headerSize {
                data.append(contentsOf: repeatElement(0, count: leftover))
                blockOffset = 0
            }
            let room = LevelDBLog.blockSize - blockOffset - LevelDBLog.headerSize
            let fragment = UnsafeRawBufferPointer(rebasing: rest.prefix(room))
            rest = UnsafeRawBufferPointer(rebasing: rest.dropFirst(fragment.count))
            let end = rest.isEmpty
            let type: LevelDBLog.RecordType = begin && end ? .full : begin ? .first : end ? .last : .middle
            emit(type, fragment)
            begin = false
        } while !rest.isEmpty
    }

    private mutating func emit(_ type: LevelDBLog.RecordType, _ payload: UnsafeRawBufferPointer) {
        var crc = CRC32C.update(0, byte: type.rawValue)
        crc = CRC32C.update(crc, payload)
        let masked = LevelDBLog.mask(crc)
        withUnsafeBytes(of: masked.littleEndian) { data.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt16(payload.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(type.rawValue)
        data.append(contentsOf: payload)
        blockOffset += LevelDBLog.headerSize + payload.count
    }
}

/// Reads every record of a log file, checking each fragment's CRC; a damaged or cut-off file is
/// an error naming the record and byte offset, never a silently shorter result.
struct LevelDBLogReader {
    struct Corruption: Error, CustomStringConvertible {
        var record: Int
        var offset: Int
        var reason: String
        var description: String { "record \(record) (byte \(offset)): \(reason)" }
    }

    static func records(_ data: [UInt8], _ body: (_ index: Int, _ record: ArraySlice<UInt8>) throws -> Void) throws {
        var position = 0
        var index = 0
        var pending: [UInt8]?
        var pendingStart = 0
        while position < data.count {
            let blockLeft = LevelDBLog.blockSize - position % LevelDBLog.blockSize
            if blockLeft < LevelDBLog.headerSize {
                // Trailer: zero-filled to the block's end.
                guard data[position..<min(data.count, position + blockLeft)].allSatisfy({ $0 == 0 }) else {
                    throw Corruption(record: index, offset: position, reason: "a block trailer is not zero-filled")
                }
                position += blockLeft
                continue
            }
            guard data.count - position >= LevelDBLog.headerSize else {
                throw Corruption(record: index, offset: position, reason: "the file ends inside a record header (truncated)")
            }
            let h = position
            let storedCRC = UInt32(data[h]) | UInt32(data[h + 1]) << 8 | UInt32(data[h + 2]) << 16 | UInt32(data[h + 3]) << 24
            let length = Int(data[h + 4]) | Int(data[h + 5]) << 8
            let typeByte = data[h + 6]
            if storedCRC == 0 && length == 0 && typeByte == 0 {
                // Zero padding (a preallocated tail): the rest of the block holds nothing.
                position += blockLeft
                continue
            }
            guard length <= blockLeft - LevelDBLog.headerSize else {
                throw Corruption(record: index, offset: h, reason: "a record of \(length) bytes crosses its block's end")
            }
            guard data.count - h - LevelDBLog.headerSize >= length else {
                throw Corruption(
                    record: index, offset: h,
                    reason: "the file ends inside a record of \(length) bytes (truncated)")
            }
            let payload = data[(h + LevelDBLog.headerSize)..<(h + LevelDBLog.headerSize + length)]
            let crc = CRC32C.update(CRC32C.update(0, byte: typeByte), payload)
            guard LevelDBLog.mask(crc) == storedCRC else {
                throw Corruption(record: index, offset: h, reason: "checksum mismatch (the file is corrupt)")
            }
            position = h + LevelDBLog.headerSize + length
            switch LevelDBLog.RecordType(rawValue: typeByte) {
            case .full:
                guard pending == nil else {
                    throw Corruption(record: index, offset: h, reason: "a whole record follows an unfinished one")
                }
                try body(index, payload)
                index += 1
            case .first:
                guard pending == nil else {
                    throw Corruption(record: index, offset: h, reason: "a record starts inside an unfinished one")
                }
                pending = Array(payload)
                pendingStart = h
            case .middle, .last:
                guard pending != nil else {
                    throw Corruption(record: index, offset: h, reason: "a record continues with no start")
                }
                pending!.append(contentsOf: payload)
                if typeByte == LevelDBLog.RecordType.last.rawValue {
                    try body(index, pending![...])
                    pending = nil
                    index += 1
                }
            case nil:
                throw Corruption(record: index, offset: h, reason: "unknown record type \(typeByte)")
            }
        }
        if pending != nil {
            throw Corruption(record: index, offset: pendingStart, reason: "the file ends inside a split record (truncated)")
        }
    }
}

/// CRC-32C (Castagnoli), the checksum of LevelDB log records: eight bytes a step through eight
/// tables ("slicing by 8"), the rest a byte at a time.
enum CRC32C {
    private static let tables: [UInt32] = {
        var t = [UInt32](repeating: 0, count: 8 * 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82f6_3b78 : c >> 1 }
            t[i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k * 256 + i] = (t[(k - 1) * 256 + i] >> 8) ^ t[Int(t[(k - 1) * 256 + i] & 0xff)] }
        }
        return t
    }()

    static func update<C: Collection>(_ crc: UInt32, _ bytes: C) -> UInt32 where C.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ update(crc, UnsafeRawBufferPointer($0)) }) {
            return result
        }
        return Array(bytes).withUnsafeBytes { update(crc, $0) }
    }

    static func update(_ crc: UInt32, byte: UInt8) -> UInt32 {
        tables.withUnsafeBufferPointer { t in ~(t[Int((~crc ^ UInt32(byte)) & 0xff)] ^ (~crc >> 8)) }
    }

    static func update(_ crc: UInt32, _ buffer: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        tables.withUnsafeBufferPointer { t in
            var i = 0
            let n = buffer.count
            while n - i >= 8 {
                let lo = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: i, as: UInt32.self)) ^ c
                let hi = UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self))
                c = t[7 * 256 + Int(lo & 0xff)] ^ t[6 * 256 + Int((lo >> 8) & 0xff)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xff)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xff)] ^ t[2 * 256 + Int((hi >> 8) & 0xff)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xff)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(buffer[i])) & 0xff)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }
}
