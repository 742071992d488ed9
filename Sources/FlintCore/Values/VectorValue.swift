import FlintProto

/// Vectors (`{__type__: "__vector__", value: [doubles]}`, the SDKs' `Vector`): their shape rules
/// and their numbers. The official emulator's texts come first in every message (clients and
/// tests compare them), followed by where the vector was.
public enum VectorValue {
    public static let maxDimensions = 2048

    /// Whether a map is meant as a vector (its `__type__` says so), whatever its shape.
    static func isTagged(_ map: FirestoreMap) -> Bool {
        map.fields["__type__"]?.stringValueIfAny == "__vector__"
    }

    /// Checks a vector map and returns its elements. Stored vectors may not hold NaN (queries and
    /// filters may); `place` says where the vector was, e.g. `field "v"`.
    @discardableResult
    public static func validate(_ map: FirestoreMap, allowNaN: Bool, place: String) throws(FirestoreError) -> [Double] {
        func bad(_ official: String) -> FirestoreError { .invalidArgument("\(official) (in \(place))") }
        guard let value = map.fields["value"] else { throw bad("Vector map is missing key 'value'.") }
        guard case .arrayValue(let array) = value.valueType else { throw bad("Vector Value type must be an array.") }
        if map.fields.count > 2 { throw bad("Vector Value map has extraneous entries.") }
        if array.values.isEmpty { throw bad("Cannot have a zero length vector.") }
        if array.values.count > maxDimensions { throw bad("Vectors must be at most \(maxDimensions) dimensions.") }
        var elements: [Double] = []
        elements.reserveCapacity(array.values.count)
        for element in array.values {
            guard case .doubleValue(let d) = element.valueType else {
                throw bad("Vector must only contain values of type 'double'")
            }
            elements.append(d)
        }
        if !allowNaN && elements.contains(where: \.isNaN) { throw bad("Vector cannot contain NaN values.") }
        return elements
    }
}

extension Google_Firestore_V1_Value {
    /// A vector's numbers, or nil when this is not a vector of numbers (integers count as numbers,
    /// so vectors stored before their elements were checked still take part in a search).
    public var vectorDoubles: [Double]? {
        guard let elements = vectorElements else { return nil }
        var out: [Double] = []
        out.reserveCapacity(elements.count)
        for element in elements {
            switch element.valueType {
            case .doubleValue(let d): out.append(d)
            case .integerValue(let i): out.append(Double(i))
            default: return nil
            }
        }
        return out
    }
}
