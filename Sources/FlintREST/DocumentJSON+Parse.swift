import FlintProto
import Foundation

extension DocumentJSON {
    /// A request body's document read directly, for the plain form clients send (`name`,
    /// `fields`, camelCase value kinds with strings, integers as strings, numbers, booleans,
    /// nulls, references, arrays and maps). Returns nil for anything else — snake_case names,
    /// timestamps, bytes, geo points, duplicate keys, malformed JSON — which SwiftProtobuf then
    /// decodes or rejects with its own error, so what is accepted, and how, never differs — but for
    /// one thing: a `\u` surrogate pair escaping a character above U+1FFFF joins as JSON defines
    /// it, where SwiftProtobuf 1.x ORs instead of adding and names another character.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Google_Firestore_V1_Document? {
        var p = Parser(bytes: bytes)
        guard let d = p.document(), p.atEnd() else { return nil }
        return d
    }

    struct Parser {
        let bytes: UnsafeRawBufferPointer
        var i = 0
        /// Nesting of arrays and maps, bounded as SwiftProtobuf bounds it.
        var depth = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
        }

        mutating func atEnd() -> Bool {
            skipSpace()
            return i == bytes.count
        }

        mutating func take(_ c: UInt8) -> Bool {
            skipSpace()
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }

        /// `{ "key": <body>, … }`; `body` reads the value after the colon, and fails a key it has seen.
        mutating func object(_ body: (inout Parser, String) -> Bool) -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            if take(UInt8(ascii: "}")) { return true }
            repeat {
                guard let key = string(), take(UInt8(ascii: ":")), body(&self, key) else { return false }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        }

        mutating func document() -> Google_Firestore_V1_Document? {
            var d = Google_Firestore_V1_Document()
            var seen = (name: false, fields: false)
            let ok = object { p, key in
                switch key {
                case "name" where !seen.name:
                    seen.name = true
                    guard let s = p.string() else { return false }
                    d.name = s
                    return true
                case "fields" where !seen.fields:
                    seen.fields = true
                    guard let f = p.fields() else { return false }
                    d.fields = f
                    return true
                default: return false
                }
            }
            return ok ? d : nil
        }

        mutating func fields() -> [String: Google_Firestore_V1_Value]? {
            var out: [String: Google_Firestore_V1_Value] = [:]
            let ok = object { p, key in
                guard let v = p.value() else { return false }
                return out.updateValue(v, forKey: key) == nil
            }
            return ok ? out : nil
        }

        mutating func value() -> Google_Firestore_V1_Value? {
            depth += 1
            defer { depth -= 1 }
            guard depth < 100 else { return nil }
            var v = Google_Firestore_V1_Value()
            let ok = object { p, key in
                guard v.valueType == nil else { return false }
                switch key {
                case "stringValue":
                    guard let s = p.string() else { return false }
                    v.stringValue = s
                case "integerValue":
                    guard let n = p.quotedInteger() else { return false }
                    v.integerValue = n
                case "doubleValue":
                    guard let d = p.number() else { return false }
                    v.doubleValue = d
                case "booleanValue":
                    if p.literal("true") {
                        v.booleanValue = true
                    } else if p.literal("false") {
                        v.booleanValue = false
                    } else {
                        return false
                    }
                case "nullValue":
                    guard p.literal("null") else { return false }
                    v.nullValue = .nullValue
                case "referenceValue":
                    guard let s = p.string() else { return false }
                    v.referenceValue = s
                case "arrayValue":
                    var a = Google_Firestore_V1_ArrayValue()
                    var seen = false
                    let ok = p.object { p, key in
                        guard key == "values", !seen, p.take(UInt8(ascii: "[")) else { return false }
                        seen = true
                        if p.take(UInt8(ascii: "]")) { return true }
                        repeat {
                            guard let element = p.value() else { return false }
                            a.values.append(element)
                        } while p.take(UInt8(ascii: ","))
                        return p.take(UInt8(ascii: "]"))
                    }
                    guard ok else { return false }
                    v.arrayValue = a
                case "mapValue":
                    var m = Google_Firestore_V1_MapValue()
                    var seen = false
                    let ok = p.object { p, key in
                        guard key == "fields", !seen, let f = p.fields() else { return false }
                        seen = true
                        m.fields = f
                        return true
                    }
                    guard ok else { return false }
                    v.mapValue = m
                default:
                    return false
                }
                return true
            }
            return ok && v.valueType != nil ? v : nil
        }

        mutating func literal(_ word: StaticString) -> Bool {
            skipSpace()
            let n = word.utf8CodeUnitCount
            guard i + n <= bytes.count else { return false }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }

        /// A JSON string of valid UTF-8; escapes other than `\"`, `\\`, `\/`, `\b`, `\f`, `\n`,
        /// `\r`, `\t` and `\u` of a scalar (surrogate pairs joined) fail.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = i
            while i < bytes.count {
                let b = bytes[i]
                if b == UInt8(ascii: "\"") {
                    let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<i])
                    i += 1
                    return String(validating: raw, as: UTF8.self)
                }
                if b == UInt8(ascii: "\\") { return escapedString(from: start) }
                if b < 0x20 { return nil }
                i += 1
            }
            return nil
        }

        mutating func escapedString(from start: Int) -> String? {
            var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<i]))
            while i < bytes.count {
                let b = bytes[i]
                i += 1
                switch b {
                case UInt8(ascii: "\""):
                    return String(validating: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard i < bytes.count else { return nil }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    case UInt8(ascii: "b"): out.append(8)
                    case UInt8(ascii: "f"): out.append(12)
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "r"): out.append(13)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "u"):
                        guard var scalar = hex4() else { return nil }
                        if (0xD800..<0xDC00).contains(scalar) {
                            guard literal("\\u"), let low = hex4(), (0xDC00..<0xE000).contains(low) else { return nil }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let u = Unicode.Scalar(scalar) else { return nil }
                        out.append(contentsOf: Array(String(Character(u)).utf8))
                    default: return nil
                    }
                default:
                    if b < 0x20 { return nil }
                    out.append(b)
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard i + 4 <= bytes.count else { return nil }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let c = bytes[i]
                i += 1
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): v = v << 4 | UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): v = v << 4 | UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): v = v << 4 | UInt32(c - UInt8(ascii: "A") + 10)
                default: return nil
                }
            }
            return v
        }

        /// `"-?[1-9][0-9]*"` or `"0"` within Int64.
        mutating func quotedInteger() -> Int64? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let negative = i < bytes.count && bytes[i] == UInt8(ascii: "-")
            if negative { i += 1 }
            let start = i
            var magnitude: UInt64 = 0
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                let (m, o1) = magnitude.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(UInt64(bytes[i] - UInt8(ascii: "0")))
                guard !o1, !o2 else { return nil }
                magnitude = a
                i += 1
            }
            let count = i - start
            guard count > 0, count == 1 || bytes[start] != UInt8(ascii: "0"), i < bytes.count, bytes[i] == UInt8(ascii: "\"")
            else { return nil }
            i += 1
            if negative {
                guard magnitude <= UInt64(Int64.max) + 1, magnitude != 0 else { return nil }
                return magnitude == UInt64(Int64.max) + 1 ? .min : -Int64(magnitude)
            }
            guard magnitude <= UInt64(Int64.max) else { return nil }
            return Int64(magnitude)
        }

        /// A JSON number (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`), finite.
        mutating func number() -> Double? {
            skipSpace()
            let start = i
            func digits(_ p: inout Parser) -> Int {
                let s = p.i
                while p.i < p.bytes.count, p.bytes[p.i] >= UInt8(ascii: "0"), p.bytes[p.i] <= UInt8(ascii: "9") { p.i += 1 }
                return p.i - s
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
            let intStart = i
            let intDigits = digits(&self)
            guard intDigits > 0, intDigits == 1 || bytes[intStart] != UInt8(ascii: "0") else { return nil }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
                i += 1
                guard digits(&self) > 0 else { return nil }
            }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard digits(&self) > 0 else { return nil }
            }
            guard let text = String(validating: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self),
                let d = Double(text), d.isFinite
            else { return nil }
            return d
        }
    }
}
