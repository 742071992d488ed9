import FlintCore
import Foundation
import Testing

/// Short constructors for the values the tests build.
enum V {
    static let null = FirestoreValue.null
    static func b(_ v: Bool) -> FirestoreValue { .boolean(v) }
    static func i(_ v: Int64) -> FirestoreValue { .integer(v) }
    static func d(_ v: Double) -> FirestoreValue { .double(v) }
    static func s(_ v: String) -> FirestoreValue { .string(v) }
    static func bytes(_ v: [UInt8]) -> FirestoreValue { .with { $0.bytesValue = Data(v) } }
    static func ts(_ seconds: Int64, _ nanos: Int32 = 0) -> FirestoreValue {
        .timestamp(ProtoTimestamp(seconds: seconds, nanos: nanos))
    }
    static func ref(_ path: String) -> FirestoreValue {
        .with { $0.referenceValue = "projects/p/databases/(default)/documents/" + path }
    }
    static func geo(_ lat: Double, _ lng: Double) -> FirestoreValue {
        .with {
            $0.geoPointValue.latitude = lat
            $0.geoPointValue.longitude = lng
        }
    }
    static func arr(_ v: FirestoreValue...) -> FirestoreValue { .array(v) }
    static func map(_ v: Fields) -> FirestoreValue { .map(v) }
    static func vector(_ v: Double...) -> FirestoreValue {
        .map(["__type__": .string("__vector__"), "value": .array(v.map { .double($0) })])
    }
    /// A value with no kind set.
    static let untyped = FirestoreValue()
}

/// A readable rendering for failure messages.
func show(_ v: FirestoreValue) -> String {
    switch v.valueType {
    case nil: "<untyped>"
    case .nullValue: "null"
    case .booleanValue(let b): "\(b)"
    case .integerValue(let i): "int(\(i))"
    case .doubleValue(let d): "double(\(d))"
    case .timestampValue(let t): "ts(\(t.seconds),\(t.nanos))"
    case .stringValue(let s): "\"\(s.unicodeScalars.map { $0.isASCII && $0.value >= 32 ? String($0) : "\\u{\(String($0.value, radix: 16))}" }.joined())\""
    case .bytesValue(let b): "bytes\(Array(b))"
    case .referenceValue(let r): "ref(\(r.dropFirst("projects/p/databases/(default)/documents/".count)))"
    case .geoPointValue(let g): "geo(\(g.latitude),\(g.longitude))"
    case .arrayValue(let a): "[" + a.values.map(show).joined(separator: ",") + "]"
    case .mapValue(let m):
        "{" + ValueOrder.sortedKeys(m.fields).map { "\($0):\(show(m.fields[$0]!))" }.joined(separator: ",") + "}"
    }
}


/// A small deterministic generator (SplitMix64) so generated cases are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
