import FlintCore
import Foundation

/// Reads the vector at one field path straight out of a document's stored bytes (a protobuf
/// `MapValue`), without decoding the document: a vector search looks at every candidate's vector
/// but keeps only a few documents, so most candidates never need decoding.
///
/// It answers exactly what `fields.value(at: path)?.vectorDoubles` would, or nil when the bytes
/// hold anything it does not expect (a repeated key or field, a malformed length): the caller
/// then decodes the document instead.
enum EncodedVector {
    enum Peek: Equatable {
        /// A vector of numbers is at the path.
        case vector([Double])
        /// Nothing, or something other than a vector of numbers, is at the path.
        case none
    }

    static func peek(_ path: FieldPath, in blob: Data) -> Peek? {
        blob.withUnsafeBytes { peek(path, in: $0) }
    }

    static func peek(_ path: FieldPath, in bytes: UnsafeRawBufferPointer) -> Peek? {
        var region = WireRegion(bytes)
        for (i, segment) in path.segments.enumerated() {
            guard let found = region.mapEntry(segment) else { return nil }
            guard let value = found else { return Peek.none }
            guard let kind = value.valueKind() else { return nil }
            guard case .message(6, let map)? = kind else { return Peek.none }
            if i == path.segments.count - 1 { return map.vector() }
            region = map
        }
        return Peek.none
    }
}

extension WireRegion {
    typealias Peek = EncodedVector.Peek

    /// The value region of the entry `key` of a map (field 1 entries of `key = 1, value = 2`):
    /// .some(nil) when there is no such entry, nil when unsure.
    func mapEntry(_ key: String) -> WireRegion?? {
        var found: WireRegion?
        var sure = true
        let wellFormed = fields { field in
            guard case .message(1, let entry) = field else { return true }
            var entryKey: WireRegion?
            var entryValue: WireRegion?
            let ok = entry.fields { part in
                switch part {
                case .message(1, let k) where entryKey == nil: entryKey = k
                case .message(2, let v) where entryValue == nil: entryValue = v
                case .message(1, _), .message(2, _): sure = false
                default: break
                }
                return sure
            }
            guard ok, sure else {
                sure = false
                return false
            }
            if let entryKey, entryKey.equals(key) {
                if found != nil {
                    sure = false
                    return false
                }
                // An entry without a value holds a value of no kind.
                found = entryValue ?? WireRegion(bytes: bytes, start: entry.end, end: entry.end)
            }
            return true
        }
        guard wellFormed, sure else { return nil }
        return .some(found)
    }

    /// The one field a `Value` sets (its oneof), or nil when it sets several.
    func valueKind() -> Field?? {
        var kind: Field?
        var single = true
        let wellFormed = fields { field in
            if kind != nil { single = false }
            kind = field
            return single
        }
        guard wellFormed, single else { return nil }
        return .some(kind)
    }

    /// Reads this map as a vector: `__type__` is "__vector__" and `value` an array of numbers.
    func vector() -> Peek? {
        guard let type = mapEntry("__type__"), let value = mapEntry("value") else { return nil }
        guard let typeRegion = type, let typeKind = typeRegion.valueKind() else { return type == nil ? Peek.none : nil }
        guard case .message(17, let text)? = typeKind, text.equals("__vector__") else { return Peek.none }
        guard let valueRegion = value, let valueKind = valueRegion.valueKind() else { return value == nil ? Peek.none : nil }
        guard case .message(9, let array)? = valueKind else { return Peek.none }
        return array.numbers()
    }

    /// The elements of an `ArrayValue` as numbers, or `.none` when one is not a number.
    func numbers() -> Peek? {
        var out: [Double] = []
        out.reserveCapacity((end - start) / 11)
        var i = start
        while i < end {
            // Nearly every element is `0A 09 19` + 8 bytes: a Value holding only a double.
            if i + 11 <= end, bytes[i] == 0x0A, bytes[i + 1] == 0x09, bytes[i + 2] == 0x19 {
                let bits = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: i + 3, as: UInt64.self))
                out.append(Double(bitPattern: bits))
                i += 11
                continue
            }
            guard let tag = varint(&i) else { return nil }
            switch tag & 7 {
            case 2:
                guard let length = varint(&i), length <= UInt64(end - i) else { return nil }
                let element = WireRegion(bytes: bytes, start: i, end: i + Int(length))
                i += Int(length)
                guard tag >> 3 == 1 else { continue }
                guard let kind = element.valueKind() else { return nil }
                switch kind {
                case .fixed64(3, let bits)?: out.append(Double(bitPattern: bits))
                case .varint(2, let v)?: out.append(Double(Int64(bitPattern: v)))
                default: return Peek.none
                }
            case 0:
                guard varint(&i) != nil else { return nil }
            case 1:
                i += 8
            case 5:
                i += 4
            default:
                return nil
            }
            if i > end { return nil }
        }
        return .vector(out)
    }
}
