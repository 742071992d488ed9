import FlintCore
import FlintProto
import Foundation
import SwiftProtobuf

/// A document as protobuf JSON, byte for byte what SwiftProtobuf writes (field order, escapes,
/// number and timestamp forms), written directly instead of through its reflective visitor, which
/// was a tenth of a REST write's CPU. Returns nil for what only SwiftProtobuf should answer (a
/// timestamp outside the range JSON can carry, which it rejects with its own error).
enum DocumentJSON {
    /// The same for either enum style: a document's only enum, NullValue, is always JSON's null.
    static func encode(_ document: Google_Firestore_V1_Document) -> [UInt8]? {
        var w = Writer()
        w.out.reserveCapacity(256)
        return w.document(document) ? w.out : nil
    }

    struct Writer {
        var out: [UInt8] = []

        mutating func document(_ d: Google_Firestore_V1_Document) -> Bool {
            var first = true
            out.append(UInt8(ascii: "{"))
            if !d.name.isEmpty {
                key("name", &first)
                string(d.name)
            }
            if !d.fields.isEmpty {
                key("fields", &first)
                guard fields(d.fields) else { return false }
            }
            if d.hasCreateTime {
                key("createTime", &first)
                guard timestamp(d.createTime) else { return false }
            }
            if d.hasUpdateTime {
                key("updateTime", &first)
                guard timestamp(d.updateTime) else { return false }
            }
            out.append(UInt8(ascii: "}"))
            return true
        }

        mutating func key(_ name: StaticString, _ first: inout Bool) {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }

        mutating func fields(_ fields: [String: Google_Firestore_V1_Value]) -> Bool {
            out.append(UInt8(ascii: "{"))
            var first = true
            for (k, v) in fields {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                string(k)
                out.append(UInt8(ascii: ":"))
                guard value(v) else { return false }
            }
            out.append(UInt8(ascii: "}"))
            return true
        }

        mutating func value(_ v: Google_Firestore_V1_Value) -> Bool {
            var first = true
            out.append(UInt8(ascii: "{"))
            switch v.valueType {
            case nil: break
            case .nullValue?:
                key("nullValue", &first)
                ascii("null")
            case .booleanValue(let b)?:
                key("booleanValue", &first)
                ascii(b ? "true" : "false")
            case .integerValue(let i)?:
                key("integerValue", &first)
                out.append(UInt8(ascii: "\""))
                ascii(String(i))
                out.append(UInt8(ascii: "\""))
            case .doubleValue(let d)?:
                key("doubleValue", &first)
                double(d)
            case .timestampValue(let t)?:
                key("timestampValue", &first)
                guard timestamp(t) else { return false }
            case .stringValue(let s)?:
                key("stringValue", &first)
                string(s)
            case .bytesValue(let b)?:
                key("bytesValue", &first)
                out.append(UInt8(ascii: "\""))
                ascii(b.base64EncodedString())
                out.append(UInt8(ascii: "\""))
            case .referenceValue(let r)?:
                key("referenceValue", &first)
                string(r)
            case .geoPointValue(let g)?:
                key("geoPointValue", &first)
                var inner = true
                out.append(UInt8(ascii: "{"))
                if g.latitude.bitPattern != 0 {
                    key("latitude", &inner)
                    double(g.latitude)
                }
                if g.longitude.bitPattern != 0 {
                    key("longitude", &inner)
                    double(g.longitude)
                }
                out.append(UInt8(ascii: "}"))
            case .arrayValue(let a)?:
                key("arrayValue", &first)
                out.append(UInt8(ascii: "{"))
                if !a.values.isEmpty {
                    var inner = true
                    key("values", &inner)
                    out.append(UInt8(ascii: "["))
                    for (i, element) in a.values.enumerated() {
                        if i > 0 { out.append(UInt8(ascii: ",")) }
                        guard value(element) else { return false }
                    }
                    out.append(UInt8(ascii: "]"))
                }
                out.append(UInt8(ascii: "}"))
            case .mapValue(let m)?:
                key("mapValue", &first)
                out.append(UInt8(ascii: "{"))
                if !m.fields.isEmpty {
                    var inner = true
                    key("fields", &inner)
                    guard fields(m.fields) else { return false }
                }
                out.append(UInt8(ascii: "}"))
            }
            out.append(UInt8(ascii: "}"))
            return true
        }

        mutating func ascii(_ s: String) {
            var s = s
            s.withUTF8 { out.append(contentsOf: $0) }
        }

        mutating func double(_ d: Double) {
            if d.isNaN {
                ascii("\"NaN\"")
            } else if d.isInfinite {
                ascii(d < 0 ? "\"-Infinity\"" : "\"Infinity\"")
            } else {
                ascii(d.debugDescription)
            }
        }

        /// A quoted string: `"` and `\` escaped, the C0 and C1 controls and DEL escaped as SwiftProtobuf does.
        mutating func string(_ s: String) {
            out.append(UInt8(ascii: "\""))
            var s = s
            s.withUTF8 { bytes in
                var i = 0
                let n = bytes.count
                while i < n {
                    let b = bytes[i]
                    switch b {
                    case 8: escape(UInt8(ascii: "b"))
                    case 9: escape(UInt8(ascii: "t"))
                    case 10: escape(UInt8(ascii: "n"))
                    case 12: escape(UInt8(ascii: "f"))
                    case 13: escape(UInt8(ascii: "r"))
                    case 34, 92: escape(b)
                    case 0...31, 127: hexEscape(b)
                    case 0xC2 where i + 1 < n && (0x80...0x9F).contains(bytes[i + 1]):
                        // U+0080…U+009F, the C1 controls, are two bytes in UTF-8.
                        hexEscape(bytes[i + 1])
                        i += 1
                    default: out.append(b)
                    }
                    i += 1
                }
            }
            out.append(UInt8(ascii: "\""))
        }

        mutating func escape(_ c: UInt8) {
            out.append(UInt8(ascii: "\\"))
            out.append(c)
        }

        mutating func hexEscape(_ b: UInt8) {
            let hex: StaticString = "0123456789ABCDEF"
            let digits = hex.utf8Start
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }

        /// RFC 3339 in UTC with 0, 3, 6 or 9 fraction digits; nil outside years 1–9999.
        mutating func timestamp(_ t: Google_Protobuf_Timestamp) -> Bool {
            guard t.seconds >= -62_135_596_800, t.seconds <= 253_402_300_799, t.nanos >= 0, t.nanos < 1_000_000_000
            else { return false }
            let days = Int(t.seconds >= 0 ? t.seconds / 86_400 : (t.seconds - 86_399) / 86_400)
            let secondOfDay = Int(t.seconds - Int64(days) * 86_400)
            let date = CivilDate(epochDays: Int64(days))
            out.append(UInt8(ascii: "\""))
            digits(Int(date.year), 4)
            out.append(UInt8(ascii: "-"))
            digits(Int(date.month), 2)
            out.append(UInt8(ascii: "-"))
            digits(Int(date.day), 2)
            out.append(UInt8(ascii: "T"))
            digits(secondOfDay / 3600, 2)
            out.append(UInt8(ascii: ":"))
            digits(secondOfDay / 60 % 60, 2)
            out.append(UInt8(ascii: ":"))
            digits(secondOfDay % 60, 2)
            let nanos = Int(t.nanos)
            if nanos != 0 {
                out.append(UInt8(ascii: "."))
                if nanos % 1_000_000 == 0 {
                    digits(nanos / 1_000_000, 3)
                } else if nanos % 1000 == 0 {
                    digits(nanos / 1000, 6)
                } else {
                    digits(nanos, 9)
                }
            }
            out.append(contentsOf: [UInt8(ascii: "Z"), UInt8(ascii: "\"")])
            return true
        }

        mutating func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(v / divisor))
                v %= divisor
                divisor /= 10
            }
        }
    }
}
