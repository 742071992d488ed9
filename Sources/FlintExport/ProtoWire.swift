import Foundation

/// Protocol-buffer wire encoding, just what the legacy entity format needs: varints, 64-bit
/// doubles, length-delimited fields and proto2 groups.
struct ProtoWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ field: Int, _ wireType: WireType) { varint(UInt64(field << 3 | Int(wireType.rawValue))) }

    mutating func int64(_ field: Int, _ value: Int64) {
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        tag(field, .varint)
        varint(value ? 1 : 0)
    }

    mutating func double(_ field: Int, _ value: Double) {
        tag(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func bytes<C: Collection>(_ field: Int, _ value: C) where C.Element == UInt8 {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ field: Int, _ value: String) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.utf8.count))
        bytes.append(contentsOf: value.utf8)
    }

    /// A length-delimited sub-message written by `body`, in place: one byte is kept for its
    /// length, and widened afterwards only when the message is 128 bytes or longer.
    mutating func message(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        tag(field, .lengthDelimited)
        let lengthAt = bytes.count
        bytes.append(0)
        body(&self)
        var length = bytes.count - lengthAt - 1
        if length < 0x80 {
            bytes[lengthAt] = UInt8(length)
            return
        }
        var prefix: [UInt8] = []
        while length >= 0x80 {
            prefix.append(UInt8(truncatingIfNeeded: length) | 0x80)
            length >>= 7
        }
        prefix.append(UInt8(length))
        bytes.replaceSubrange(lengthAt...lengthAt, with: prefix)
    }

    /// A proto2 group: start tag, the fields `body` writes, end tag.
    mutating func group(_ field: Int, _ body: (inout ProtoWriter) -> Void) {
        tag(field, .startGroup)
        body(&self)
        tag(field, .endGroup)
    }
}

enum WireType: UInt8 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
}

/// What went wrong reading encoded bytes (the caller names the file and record).
struct WireError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One field read from the wire: its number and its payload.
enum WireField {
    case varint(Int, UInt64)
    case fixed64(Int, UInt64)
    case fixed32(Int, UInt32)
    case bytes(Int, ArraySlice<UInt8>)
    /// A group's fields, read as a slice running up to (not including) its end tag.
    case group(Int, ArraySlice<UInt8>)

    var number: Int {
        switch self {
        case .varint(let n, _), .fixed64(let n, _), .fixed32(let n, _), .bytes(let n, _), .group(let n, _): n
        }
    }
}

/// Reads the fields of one message (or group body) in order.
struct ProtoReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    var isAtEnd: Bool { position >= bytes.endIndex }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < bytes.endIndex else { throw WireError("a varint runs past the end") }
            let b = bytes[position]
            position += 1
            if shift >= 64 { throw WireError("a varint is longer than 10 bytes") }
            result |= UInt64(b & 0x7f) << shift
            if b < 0x80 { return result }
            shift += 7
        }
    }

    private mutating func take(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, bytes.endIndex - position >= count else {
            throw WireError("a field of \(count) bytes runs past the end")
        }
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// The next field, or nil at the end.
    mutating func next() throws -> WireField? {
        guard !isAtEnd else { return nil }
        let key = try varint()
        let number = Int(truncatingIfNeeded: key >> 3)
        guard number > 0 else { throw WireError("field number 0") }
        switch WireType(rawValue: UInt8(key & 7)) {
        case .varint: return .varint(number, try varint())
        case .fixed64:
            let b = try take(8)
            var v: UInt64 = 0
            for i in stride(from: b.endIndex - 1, through: b.startIndex, by: -1) { v = v << 8 | UInt64(b[i]) }
            return .fixed64(number, v)
        case .fixed32: return .fixed32(number, try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) })
        case .lengthDelimited:
            let length = try varint()
            guard length <= UInt64(Int.max) else { throw WireError("a length of \(length)") }
            return .bytes(number, try take(Int(length)))
        case .startGroup:
            let start = position
            try skipGroup(number)
            // The end tag of this group was just read; the body ends before it.
            return .group(number, bytes[start..<groupBodyEnd])
        case .endGroup: throw WireError("an unexpected end of group \(number)")
        case nil: throw WireError("wire type \(key & 7) of field \(number)")
        }
    }

    private var groupBodyEnd = 0

    /// Skips to past the end tag of group `number`, nested groups included.
    private mutating func skipGroup(_ number: Int) throws {
        while true {
            guard !isAtEnd else { throw WireError("group \(number) has no end") }
            let tagStart = position
            let key = try varint()
            let field = Int(truncatingIfNeeded: key >> 3)
            switch WireType(rawValue: UInt8(key & 7)) {
            case .varint: _ = try varint()
            case .fixed64: _ = try take(8)
            case .fixed32: _ = try take(4)
            case .lengthDelimited: _ = try take(Int(clamping: try varint()))
            case .startGroup:
                let saved = groupBodyEnd
                try skipGroup(field)
                groupBodyEnd = saved
            case .endGroup:
                guard field == number else { throw WireError("group \(number) ends as group \(field)") }
                groupBodyEnd = tagStart
                return
            case nil: throw WireError("wire type \(key & 7) of field \(field)")
            }
        }
    }
}

extension WireField {
    /// The payload as text, for string fields.
    func string() throws -> String {
        guard case .bytes(_, let b) = self else { throw WireError("field \(number) is not a string") }
        guard let s = String(validating: b, as: UTF8.self) else { throw WireError("field \(number) is not UTF-8") }
        return s
    }

    func integer() throws -> UInt64 {
        guard case .varint(_, let v) = self else { throw WireError("field \(number) is not a varint") }
        return v
    }

    func double() throws -> Double {
        guard case .fixed64(_, let v) = self else { throw WireError("field \(number) is not a 64-bit double") }
        return Double(bitPattern: v)
    }
}
