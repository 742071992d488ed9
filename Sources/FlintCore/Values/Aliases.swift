import FlintProto
import SwiftProtobuf

public typealias FirestoreValue = Google_Firestore_V1_Value
public typealias FirestoreDocument = Google_Firestore_V1_Document
public typealias FirestoreMap = Google_Firestore_V1_MapValue
public typealias FirestoreArray = Google_Firestore_V1_ArrayValue
public typealias Fields = [String: Google_Firestore_V1_Value]
public typealias ProtoTimestamp = SwiftProtobuf.Google_Protobuf_Timestamp

extension Google_Firestore_V1_Value {
    public static let null = FirestoreValue.with { $0.nullValue = .nullValue }
    public static func integer(_ v: Int64) -> FirestoreValue { .with { $0.integerValue = v } }
    public static func double(_ v: Double) -> FirestoreValue { .with { $0.doubleValue = v } }
    public static func string(_ v: String) -> FirestoreValue { .with { $0.stringValue = v } }
    public static func boolean(_ v: Bool) -> FirestoreValue { .with { $0.booleanValue = v } }
    public static func timestamp(_ v: ProtoTimestamp) -> FirestoreValue { .with { $0.timestampValue = v } }
    public static func array(_ v: [FirestoreValue]) -> FirestoreValue { .with { $0.arrayValue.values = v } }
    public static func map(_ v: Fields) -> FirestoreValue { .with { $0.mapValue.fields = v } }

    /// The fields of a map value, or nil for any other kind.
    public var mapFields: Fields? {
        if case .mapValue(let m) = valueType { return m.fields }
        return nil
    }

    /// The elements of an array value, or nil for any other kind.
    public var arrayElements: [FirestoreValue]? {
        if case .arrayValue(let a) = valueType { return a.values }
        return nil
    }

    public var isNumber: Bool {
        switch valueType {
        case .integerValue, .doubleValue: true
        default: false
        }
    }

    public var isNaN: Bool {
        if case .doubleValue(let d) = valueType { return d.isNaN }
        return false
    }

    public var isNull: Bool {
        if case .nullValue = valueType { return true }
        return false
    }

    /// A vector is a map `{__type__: "__vector__", value: [numbers]}`; it orders between arrays and maps.
    public var vectorElements: [FirestoreValue]? {
        guard case .mapValue(let m) = valueType, m.fields["__type__"]?.stringValueIfAny == "__vector__",
            let elements = m.fields["value"]?.arrayElements
        else { return nil }
        return elements
    }

    var stringValueIfAny: String? {
        if case .stringValue(let s) = valueType { return s }
        return nil
    }
}

extension ProtoTimestamp {
    /// Microseconds since the epoch, Firestore's stored precision.
    public var micros: Int64 { seconds * 1_000_000 + Int64(nanos / 1000) }

    public init(micros: Int64) {
        var s = micros / 1_000_000
        var us = micros % 1_000_000
        if us < 0 {
            s -= 1
            us += 1_000_000
        }
        self.init(seconds: s, nanos: Int32(us * 1000))
    }
}
