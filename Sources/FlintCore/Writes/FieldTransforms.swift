import FlintProto

public typealias FieldTransformProto = Google_Firestore_V1_DocumentTransform.FieldTransform

/// A validated field transform, ready to apply to a document's fields.
public struct FieldTransform: Sendable {
    public enum Operation: Sendable {
        case requestTime
        case increment(FirestoreValue)
        case maximum(FirestoreValue)
        case minimum(FirestoreValue)
        case appendMissing([FirestoreValue])
        case removeAll([FirestoreValue])
    }

    public var path: FieldPath
    public var operation: Operation

    public static let maxPerDocument = 500

    /// Validates a list of transforms for one document.
    public static func parse(_ protos: [FieldTransformProto], document: String) throws(FirestoreError) -> [FieldTransform] {
        if protos.count > maxPerDocument {
            throw .invalidArgument(
                "A document can have at most \(maxPerDocument) field transforms per write; \"\(document)\" has \(protos.count).")
        }
        var out: [FieldTransform] = []
        out.reserveCapacity(protos.count)
        for proto in protos {
            let path = try FieldPath(parsing: proto.fieldPath)
            if path.isDocumentKey { throw .invalidArgument("Field transforms cannot target __name__.") }
            for other in out where other.path != path && (other.path.isPrefix(of: path) || path.isPrefix(of: other.path)) {
                throw .invalidArgument(
                    "Field \"\(path)\" and its parent or child \"\(other.path)\" cannot both be transformed in one write.")
            }
            out.append(FieldTransform(path: path, operation: try operation(of: proto, path: path)))
        }
        return out
    }

    static func operation(of proto: FieldTransformProto, path: FieldPath) throws(FirestoreError) -> Operation {
        func numeric(_ v: FirestoreValue, _ name: String) throws(FirestoreError) -> FirestoreValue {
            guard v.isNumber else {
                throw .invalidArgument("The \(name) transform of field \"\(path)\" needs an integer or double operand.")
            }
            return try DocumentValidation.normalized(v, path: path.segments, depth: 1)
        }
        func elements(_ a: FirestoreArray) throws(FirestoreError) -> [FirestoreValue] {
            var out: [FirestoreValue] = []
            for v in a.values { out.append(try DocumentValidation.normalized(v, path: path.segments, depth: 2, inArray: true)) }
            return out
        }
        switch proto.transformType {
        case .setToServerValue(let server):
            guard server == .requestTime else {
                throw .invalidArgument("Field transform of \"\(path)\" sets an unknown server value; only REQUEST_TIME exists.")
            }
            return .requestTime
        case .increment(let v): return .increment(try numeric(v, "increment"))
        case .maximum(let v): return .maximum(try numeric(v, "maximum"))
        case .minimum(let v): return .minimum(try numeric(v, "minimum"))
        case .appendMissingElements(let a): return .appendMissing(try elements(a))
        case .removeAllFromArray(let a): return .removeAll(try elements(a))
        default:
            throw .invalidArgument("Field transform of \"\(path)\" names no transform.")
        }
    }

    /// Applies the transform in place, returning its transform result.
    public func apply(to fields: inout Fields, requestTime: ProtoTimestamp) -> FirestoreValue {
        let current = fields.value(at: path)
        let result: FirestoreValue
        var transformResult: FirestoreValue
        switch operation {
        case .requestTime:
            result = .timestamp(requestTime)
            transformResult = result
        case .increment(let operand):
            result = Self.add(current, operand)
            transformResult = result
        case .maximum(let operand):
            result = Self.extreme(current, operand, keepLarger: true)
            transformResult = result
        case .minimum(let operand):
            result = Self.extreme(current, operand, keepLarger: false)
            transformResult = result
        case .appendMissing(let elements):
            var array = current?.arrayElements ?? []
            for e in elements where !array.contains(where: { ValueOrder.equal($0, e) }) { array.append(e) }
            result = .array(array)
            transformResult = .null
        case .removeAll(let elements):
            let array = (current?.arrayElements ?? []).filter { v in !elements.contains { ValueOrder.equal($0, v) } }
            result = .array(array)
            transformResult = .null
        }
        fields.setValue(result, at: path)
        return transformResult
    }

    /// Firestore's increment: integers add with saturation, any double makes a double,
    /// and a non-numeric field is replaced by the operand.
    static func add(_ current: FirestoreValue?, _ operand: FirestoreValue) -> FirestoreValue {
        switch (current?.valueType, operand.valueType) {
        case (.integerValue(let a)?, .integerValue(let b)):
            let (sum, overflow) = a.addingReportingOverflow(b)
            if overflow { return .integer(b > 0 ? .max : .min) }
            return .integer(sum)
        case (.integerValue(let a)?, .doubleValue(let b)): return .double(Double(a) + b)
        case (.doubleValue(let a)?, .integerValue(let b)): return .double(a + Double(b))
        case (.doubleValue(let a)?, .doubleValue(let b)): return .double(a + b)
        default: return operand
        }
    }

    /// maximum/minimum: NaN wins, equal values keep the stored type, non-numbers are replaced.
    static func extreme(_ current: FirestoreValue?, _ operand: FirestoreValue, keepLarger: Bool) -> FirestoreValue {
        guard let current, current.isNumber else { return operand }
        if current.isNaN { return current }
        if operand.isNaN { return operand }
        let c = ValueOrder.compare(operand, current)
        if c == 0 { return current }
        return (c > 0) == keepLarger ? operand : current
    }
}
