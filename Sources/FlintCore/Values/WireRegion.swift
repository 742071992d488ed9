import Foundation

/// A stretch of protobuf bytes holding the fields of one message, read in place: what code that
/// looks into stored documents without decoding them walks (no copies, nothing reference-counted).
public struct WireRegion {
    public let bytes: UnsafeRawBufferPointer
    public let start: Int
    public let end: Int

    @inlinable
    public init(bytes: UnsafeRawBufferPointer, start: Int, end: Int) {
        self.bytes = bytes
        self.start = start
        self.end = end
    }

    /// The whole of `bytes`.
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) { self.init(bytes: bytes, start: 0, end: bytes.count) }

    public enum Field {
        case varint(Int, UInt64)
        case fixed64(Int, UInt64)
        case message(Int, WireRegion)
        /// A proto2 group's body (up to its end tag).
        case group(Int, WireRegion)
        case other(Int)
    }

    @inlinable
    public var count: Int { end - start }

    /// Each field in order until `body` returns false; false when the bytes are malformed.
    @inlinable @inline(__always)
    public func fields(_ body: (Field) throws -> Bool) rethrows -> Bool {
        var i = start
        while i < end {
            guard let tag = varint(&i) else { return false }
            let number = Int(tag >> 3)
            guard number > 0 else { return false }
            switch tag & 7 {
            case 0:
                guard let v = varint(&i) else { return false }
                if try !body(.varint(number, v)) { return true }
            case 1:
                guard i + 8 <= end else { return false }
                let v = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self))
                i += 8
                if try !body(.fixed64(number, v)) { return true }
            case 2:
                guard let length = varint(&i), length <= UInt64(end - i) else { return false }
                let sub = WireRegion(bytes: bytes, start: i, end: i + Int(length))
                i += Int(length)
                if try !body(.message(number, sub)) { return true }
            case 3:
                let bodyStart = i
                guard let bodyEnd = skipGroup(number, &i) else { return false }
                if try !body(.group(number, WireRegion(bytes: bytes, start: bodyStart, end: bodyEnd))) { return true }
            case 5:
                guard i + 4 <= end else { return false }
                i += 4
                if try !body(.other(number)) { return true }
            default:
                return false
            }
        }
        return i == end
    }

    /// Moves `i` past the end tag of group `number` (nested groups included); where its body
    /// ends, or nil when it does not end.
    @usableFromInline
    func skipGroup(_ number: Int, _ i: inout Int) -> Int? {
        while i < end {
            let tagStart = i
            guard let tag = varint(&i) else { return nil }
            let field = Int(tag >> 3)
            switch tag & 7 {
            case 0: guard varint(&i) != nil else { return nil }
            case 1: i += 8
            case 2:
                guard let length = varint(&i), length <= UInt64(end - i) else { return nil }
                i += Int(length)
            case 3: guard skipGroup(field, &i) != nil else { return nil }
            case 4: return field == number ? tagStart : nil
            case 5: i += 4
            default: return nil
            }
            if i > end { return nil }
        }
        return nil
    }

    @inlinable
    public func varint(_ i: inout Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while i < end, shift < 64 {
            let byte = bytes[i]
            i += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        return nil
    }

    /// The bytes, for the callers that write them elsewhere.
    @inlinable
    public var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[start..<end]) }

    /// Whether the bytes are `text`'s UTF-8.
    @inlinable
    public func equals(_ text: String) -> Bool {
        var utf8 = text.utf8.makeIterator()
        for i in start..<end {
            guard utf8.next() == bytes[i] else { return false }
        }
        return utf8.next() == nil
    }

    /// Orders two regions by their bytes (for UTF-8 text, by code point).
    @inlinable
    public func compareBytes(_ other: WireRegion) -> Int {
        let n = min(count, other.count)
        if n > 0 {
            let c = memcmp(bytes.baseAddress! + start, other.bytes.baseAddress! + other.start, n)
            if c != 0 { return Int(c) }
        }
        return count - other.count
    }

    /// Whether every byte is below 0x80.
    @inlinable
    public var isASCII: Bool {
        var i = start
        while i < end {
            if bytes[i] >= 0x80 { return false }
            i += 1
        }
        return true
    }
}
