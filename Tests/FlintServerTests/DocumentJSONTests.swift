import FlintProto
import Foundation
import SwiftProtobuf
import Testing

@testable import FlintREST

/// The direct document writer against SwiftProtobuf's JSON, byte for byte.
@Suite("Document JSON")
struct DocumentJSONTests {
    typealias Value = Google_Firestore_V1_Value

    func value(_ kind: Value.OneOf_ValueType?) -> Value {
        var v = Value()
        v.valueType = kind
        return v
    }

    func timestamp(_ seconds: Int64, _ nanos: Int32 = 0) -> Google_Protobuf_Timestamp {
        Google_Protobuf_Timestamp(seconds: seconds, nanos: nanos)
    }

    func expectSame(_ document: Google_Firestore_V1_Document, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for enumsAsInts in [false, true] {
            var options = JSONEncodingOptions()
            options.alwaysPrintEnumsAsInts = enumsAsInts
            let expected: [UInt8] = try document.jsonUTF8Bytes(options: options)
            let written = DocumentJSON.encode(document)
            #expect(
                written.map { String(decoding: $0, as: UTF8.self) } == String(decoding: expected, as: UTF8.self),
                sourceLocation: sourceLocation)
        }
    }

    func document(_ fields: [String: Value]) -> Google_Firestore_V1_Document {
        var d = Google_Firestore_V1_Document()
        d.name = "projects/p/databases/(default)/documents/c/d \"quoted\""
        d.fields = fields
        d.createTime = timestamp(1_700_000_000, 123_000_000)
        d.updateTime = timestamp(1_700_000_001, 123_456_789)
        return d
    }

    @Test func everyValueKindMatches() throws {
        var geo = Google_Type_LatLng()
        geo.latitude = -33.5
        geo.longitude = 151.25
        var array = Google_Firestore_V1_ArrayValue()
        array.values = [value(.integerValue(1)), value(.stringValue("two")), value(nil)]
        var map = Google_Firestore_V1_MapValue()
        map.fields = ["inner": value(.booleanValue(false)), "list": value(.arrayValue(array))]
        try expectSame(document([
            "null": value(.nullValue(.nullValue)), "true": value(.booleanValue(true)), "false": value(.booleanValue(false)),
            "int": value(.integerValue(42)), "min": value(.integerValue(.min)), "max": value(.integerValue(.max)),
            "double": value(.doubleValue(1.5)), "string": value(.stringValue("hello")),
            "bytes": value(.bytesValue(Data([0, 1, 2, 250, 251]))), "ref": value(.referenceValue("projects/p/databases/(default)/documents/a/b")),
            "geo": value(.geoPointValue(geo)), "zeroGeo": value(.geoPointValue(Google_Type_LatLng())),
            "array": value(.arrayValue(array)), "emptyArray": value(.arrayValue(.init())),
            "map": value(.mapValue(map)), "emptyMap": value(.mapValue(.init())), "unset": value(nil),
            "time": value(.timestampValue(timestamp(0))),
        ]))
        try expectSame(Google_Firestore_V1_Document())
    }

    @Test func stringsEscapeAsSwiftProtobufDoes() throws {
        let strings = [
            "", "plain", "quote \" backslash \\ slash /", "\u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F} controls",
            "del \u{7F} c1 \u{80}\u{85}\u{9F} after \u{A0}", "é ü ß 中文 😀 \u{2028}", "\u{C2}",
        ]
        for s in strings {
            try expectSame(document([s: value(.stringValue(s)), "k": value(.referenceValue(s))]))
        }
    }

    @Test func doublesMatch() throws {
        for d in [0.0, -0.0, 1, -1, 1.5, .pi, 1e300, -1e-300, 5e-324, 1e21, 123_456_789_012_345_680, .nan, .infinity, -.infinity] {
            var geo = Google_Type_LatLng()
            geo.latitude = d
            geo.longitude = -d
            try expectSame(document(["d": value(.doubleValue(d)), "g": value(.geoPointValue(geo))]))
        }
    }

    @Test func timestampsMatchAcrossTheirRange() throws {
        var seconds: [Int64] = [
            0, -1, 86_399, 86_400, -86_400, -86_401, 951_782_400, 4_107_542_400, -62_135_596_800, 253_402_300_799,
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { seconds.append(Int64.random(in: -62_135_596_800...253_402_300_799, using: &generator)) }
        for (i, s) in seconds.enumerated() {
            let nanos: Int32 = [0, 1, 1000, 1_000_000, 999_999_999, 120_000_000, 5_000][i % 7]
            try expectSame(document(["t": value(.timestampValue(timestamp(s, nanos)))]))
        }
    }

    /// What JSON cannot carry is left to SwiftProtobuf, which answers with its own error.
    @Test func timestampsOutOfRangeAreLeftToSwiftProtobuf() {
        for t in [timestamp(-62_135_596_801), timestamp(253_402_300_800), timestamp(0, -1), timestamp(0, 1_000_000_000)] {
            let d = document(["t": value(.timestampValue(t))])
            #expect(DocumentJSON.encode(d) == nil)
            #expect(throws: (any Error).self) { let _: [UInt8] = try d.jsonUTF8Bytes() }
        }
    }

    // MARK: reading

    func parsed(_ json: String) -> Google_Firestore_V1_Document? {
        Array(json.utf8).withUnsafeBytes { DocumentJSON.parse($0) }
    }

    /// Whether `json` escapes a character above U+1FFFF as a surrogate pair: SwiftProtobuf joins
    /// those wrongly (it ORs 0x10000 into the 20-bit offset instead of adding it).
    func escapesAboveU1FFFF(_ json: String) -> Bool {
        let b = Array(json.utf8)
        var i = 0
        while i + 6 <= b.count {
            if b[i] == UInt8(ascii: "\\") {
                if b[i + 1] == UInt8(ascii: "u"), let v = UInt32(String(decoding: b[i + 2..<i + 6], as: UTF8.self), radix: 16),
                    (0xD840..<0xDC00).contains(v)
                {
                    return true
                }
                i += 2
            } else {
                i += 1
            }
        }
        return false
    }

    /// What the direct reader accepts, SwiftProtobuf decodes to the same document.
    func expectAgreement(_ json: String, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let direct = parsed(json), !escapesAboveU1FFFF(json) else { return }
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        let reference = try? Google_Firestore_V1_Document(jsonUTF8Bytes: Array(json.utf8), options: options)
        #expect(reference == direct, "\(json)", sourceLocation: sourceLocation)
    }

    static let plainBodies = [
        #"{}"#, #"{"fields":{}}"#, #" { "name" : "projects/p/databases/(default)/documents/c/d" , "fields" : { } } "#,
        #"{"fields":{"customerPhone":{"stringValue":"9000000001"},"total":{"integerValue":"249"},"source":{"stringValue":"website"},"items":{"arrayValue":{"values":[{"mapValue":{"fields":{"productId":{"stringValue":"PROD_001"},"qty":{"integerValue":"1"}}}}]}}}}"#,
        #"{"fields":{"a":{"doubleValue":1.5},"b":{"doubleValue":-0},"c":{"doubleValue":1e300},"d":{"doubleValue":2E-5},"e":{"doubleValue":7}}}"#,
        #"{"fields":{"n":{"nullValue":null},"t":{"booleanValue":true},"f":{"booleanValue":false},"r":{"referenceValue":"projects/p/databases/(default)/documents/a/b"}}}"#,
        #"{"fields":{"min":{"integerValue":"-9223372036854775808"},"max":{"integerValue":"9223372036854775807"},"z":{"integerValue":"0"}}}"#,
        #"{"fields":{"s":{"stringValue":"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 \u0000 é 中"},"e":{"arrayValue":{}},"m":{"mapValue":{}},"v":{"arrayValue":{"values":[]}}}}"#,
        #"{"fields":{"deep":{"mapValue":{"fields":{"x":{"arrayValue":{"values":[{"arrayValue":{}},{"mapValue":{"fields":{"y":{"nullValue":null}}}}]}}}}}}}"#,
    ]

    @Test func plainBodiesAreReadDirectlyAsSwiftProtobufReadsThem() {
        for json in Self.plainBodies {
            #expect(parsed(json) != nil, "\(json)")
            expectAgreement(json)
        }
    }

    /// A surrogate pair joins as JSON defines it, also where SwiftProtobuf errs.
    @Test func surrogatePairsJoinCorrectly() throws {
        for (escaped, scalar) in [(#"\ud83d\ude00"#, 0x1F600), (#"\ud85d\ude00"#, 0x27600), (#"\udbff\udfff"#, 0x10FFFF)] {
            let json = #"{"fields":{"s":{"stringValue":""# + escaped + #""}}}"#
            let expected = String(Character(try #require(Unicode.Scalar(UInt32(scalar)))))
            #expect(parsed(json)?.fields["s"]?.stringValue == expected, "\(escaped)")
            let foundation = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: [String: String]]]
            #expect(foundation?["fields"]?["s"]?["stringValue"] == expected)
        }
        #expect(escapesAboveU1FFFF(#""\ud85d\ude00""#) && !escapesAboveU1FFFF(#""\ud83d\ude00""#))
    }

    /// Everything outside the plain form is left to SwiftProtobuf: its tolerances, and its errors.
    @Test func otherFormsAreLeftToSwiftProtobuf() {
        let others = [
            "", " ", "[]", "{", #"{"fields":{"a":{"stringValue":"x"}}"#, #"{"fields":{"a":{"stringValue":"x"}}}x"#,
            #"{"create_time":"2020-01-01T00:00:00Z"}"#, #"{"createTime":"2020-01-01T00:00:00Z"}"#, #"{"unknown":1}"#,
            #"{"fields":{"a":{"string_value":"x"}}}"#, #"{"fields":{"a":{"integerValue":5}}}"#,
            #"{"fields":{"a":{"integerValue":"05"}}}"#, #"{"fields":{"a":{"integerValue":"9223372036854775808"}}}"#,
            #"{"fields":{"a":{"integerValue":"-0"}}}"#, #"{"fields":{"a":{"doubleValue":"NaN"}}}"#,
            #"{"fields":{"a":{"doubleValue":1e400}}}"#, #"{"fields":{"a":{"doubleValue":01}}}"#, #"{"fields":{"a":{"doubleValue":1.}}}"#,
            #"{"fields":{"a":{"nullValue":"NULL_VALUE"}}}"#, #"{"fields":{"a":{"timestampValue":"2020-01-01T00:00:00Z"}}}"#,
            #"{"fields":{"a":{"bytesValue":"AAE="}}}"#, #"{"fields":{"a":{"geoPointValue":{"latitude":1}}}}"#,
            #"{"fields":{"a":{}}}"#, #"{"fields":{"a":null}}"#, #"{"fields":{"a":{"stringValue":"x","integerValue":"1"}}}"#,
            #"{"fields":{"a":{"stringValue":"x"},"a":{"stringValue":"y"}}}"#, #"{"fields":{},"fields":{}}"#,
            #"{"fields":{"a":{"arrayValue":{"values":[],"values":[]}}}}"#, #"{"fields":{"a":{"stringValue":"\ud800"}}}"#,
            #"{"fields":{"a":{"stringValue":"\x"}}}"#, "{\"fields\":{\"a\":{\"stringValue\":\"tab\there\"}}}",
            #"{"fields":{"a":{"booleanValue":tru}}}"#, #"{"fields":{"a":{"booleanValue":"true"}}}"#,
        ]
        for json in others { #expect(parsed(json) == nil, "\(json)") }
        #expect(Array("{\"fields\":{\"a\":{\"stringValue\":\"\u{FF}\"}}}".utf8).withUnsafeBytes { DocumentJSON.parse($0) } != nil)
        let invalidUTF8: [UInt8] = Array(#"{"fields":{"a":{"stringValue":""#.utf8) + [0xFF] + Array(#""}}}"#.utf8)
        #expect(invalidUTF8.withUnsafeBytes { DocumentJSON.parse($0) } == nil)
    }

    /// Bodies cut short or with one byte changed: whatever the direct reader accepts, SwiftProtobuf
    /// reads the same way.
    @Test func damagedBodiesNeverDisagree() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array(#"{}[]":,.-+eE0123456789 \abnrtu"#.utf8)
        for json in Self.plainBodies {
            let bytes = Array(json.utf8)
            for cut in 0..<bytes.count { expectAgreement(String(decoding: bytes[..<cut], as: UTF8.self)) }
            for _ in 0..<300 {
                var changed = bytes
                changed[Int.random(in: 0..<bytes.count, using: &generator)] = alphabet.randomElement(using: &generator)!
                expectAgreement(String(decoding: changed, as: UTF8.self))
            }
        }
    }
}

