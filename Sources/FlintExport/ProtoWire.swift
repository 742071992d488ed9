import FlintCore
import Foundation

/// Protocol-buffer wire encoding, just what the legacy entity format needs: varints, 64-bit
/// doubles, length-delimited fields and proto2 groups. It writes into memory of its own (no
/// copy-on-write checks per byte), so it cannot be copied.
struct ProtoWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 64) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// What has been written so far, valid until the next write.
    var buffer: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// A copy of what has been written.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Empties the writer, keeping its memory.
    mutating func removeAll() { count = 0 }

    @inline(__always)
    private mutating func reserve(_ more: Int) {
        if capacity - count < more { grow(more) }
    }

    private mutating func grow(_ more: Int) {
        let larger = max(capacity * 2, count + more)
        let moved = UnsafeMutablePointer<UInt8>.allocate(capacity: larger)
        moved.initialize(from: base, count: count)
        base.deallocate()
        base = moved
        capacity = larger
    }

    @inline(__always)
    private mutating func put(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    mutating func varint(_ value: UInt64) {
        if value < 0x80 { return put(UInt8(value)) }
        longVarint(value)
    }

    private mutating func longVarint(_ value: UInt64) {
        reserve(10)
        var v = value
        while v >= 0x80 {
            base[count] = UInt8(truncatingIfNeeded: v) | 0x80
            count += 1
            v >>= 7
        }
        base[count] = UInt8(v)
        count += 1
    }

    mutating func tag(_ field: Int, _ wireType: WireType) { varint(UInt64(field << 3 | Int(wireType.rawValue))) }

    mutating func int64(_ field: Int, _ value: Int64) {
        tag(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func bool(_ field: Int, _ value: Bool) {
        tag(field, .varint)
        put(value ? 1 : 0)
    }

    mutating func double(_ field: Int, _ value: Double) {
        tag(field, .fixed64)
        reserve(8)
        UnsafeMutableRawPointer(base + count).storeBytes(of: value.bitPattern.littleEndian, as: UInt64.self)
        count += 8
    }

    mutating func bytes(_ field: Int, _ value: UnsafeRawBufferPointer) {
        tag(field, .lengthDelimited)
        varint(UInt64(value.count))
        raw(value)
    }

    mutating func bytes(_ field: Int, _ value: [UInt8]) { value.withUnsafeBytes { bytes(field, $0) } }

    mutating func bytes(_ field: Int, _ value: Data) { value.withUnsafeBytes { bytes(field, $0) } }

    /// An empty length-delimited field.
    mutating func empty(_ field: Int) {
        tag(field, .lengthDelimited)
        put(0)
    }

    mutating func string(_ field: Int, _ value: String) {
        var text = value
        text.withUTF8 { bytes(field, UnsafeRawBufferPointer($0)) }
    }

    /// Bytes already encoded, as they are.
    mutating func raw(_ encoded: UnsafeRawBufferPointer) {
        guard let source = encoded.baseAddress else { return }
        reserve(encoded.count)
        (base + count).update(from: source.assumingMemoryBound(to: UInt8.self), count: encoded.count)
        count += encoded.count
    }

    mutating func raw(_ encoded: [UInt8]) { encoded.withUnsafeBytes { raw($0) } }

    /// A length-delimited sub-message written by `body`, in place: one byte is kept for its
    /// length, and widened afterwards only when the message is 128 bytes or longer.
    mutating func message(_ field: Int, _ body: (inout ProtoWriter) throws -> Void) rethrows {
        tag(field, .lengthDelimited)
        let lengthAt = count
        put(0)
        try body(&self)
        var length = count - lengthAt - 1
        if length < 0x80 {
            base[lengthAt] = UInt8(length)
            return
        }
        var width = 1
        while length >> (7 * width) != 0 { width += 1 }
        reserve(width - 1)
        memmove(base + lengthAt + width, base + lengthAt + 1, length)
        for i in lengthAt..<(lengthAt + width - 1) {
            base[i] = UInt8(truncatingIfNeeded: length) | 0x80
            length >>= 7
        }
        base[lengthAt + width - 1] = UInt8(length)
        count += width - 1
    }

    /// A proto2 group: start tag, the fields `body` writes, end tag.
    mutating func group(_ field: Int, _ body: (inout ProtoWriter) throws -> Void) rethrows {
        tag(field, .startGroup)
        try body(&self)
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

extension WireRegion {
    /// Each field in order; `malformed` is the error when the bytes are not well-formed.
    @inline(__always)
    func forEachField(malformed: @autoclosure () -> String, _ body: (Field) throws -> Void) throws {
        guard try fields({ try body($0); return true }) else { throw WireError(malformed()) }
    }

    /// The bytes as UTF-8 text; `what` names them in the error.
    func text(_ what: String) throws -> String {
        guard let s = String(validating: buffer, as: UTF8.self) else { throw WireError("\(what) is not UTF-8") }
        return s
    }
}
