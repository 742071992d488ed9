import FlintProto

/// A validated `findNearest` clause: the `limit` documents whose `field` vector is nearest to
/// `queryVector` under `measure`, optionally only those within `threshold`, with the distance
/// written into each result at `resultField`.
public struct VectorSearch: Sendable {
    public typealias Proto = Google_Firestore_V1_StructuredQuery.FindNearest

    public var field: FieldPath
    public var queryVector: [Double]
    public var measure: DistanceMeasure
    public var limit: Int
    public var resultField: FieldPath?
    public var threshold: Double?

    /// Production's bound on the neighbours one search returns.
    public static let maxLimit = 1000

    public init(
        field: FieldPath, queryVector: [Double], measure: DistanceMeasure, limit: Int,
        resultField: FieldPath? = nil, threshold: Double? = nil
    ) {
        self.field = field
        self.queryVector = queryVector
        self.measure = measure
        self.limit = limit
        self.resultField = resultField
        self.threshold = threshold
    }

    /// The distance of a document's value from the query vector, or nil when the value is not a
    /// vector of the query's dimension (such documents are not candidates), or lies beyond the
    /// threshold.
    public func distance(to value: FirestoreValue) -> Double? {
        value.vectorDoubles.flatMap(distance(of:))
    }

    /// The distance of a vector from the query vector, or nil when its dimension differs or it
    /// lies beyond the threshold.
    public func distance(of vector: [Double]) -> Double? {
        guard vector.count == queryVector.count else { return nil }
        let distance = measure.distance(vector, queryVector)
        if let threshold, !measure.isWithin(distance, threshold: threshold) { return nil }
        return distance
    }
}

extension VectorSearch {
    /// Validates the clause itself, in the official emulator's order of checks; the texts start
    /// with the emulator's and then name the field.
    public init(_ proto: Proto) throws(FirestoreError) {
        queryVector = try Self.queryVector(proto)
        guard proto.hasLimit, proto.limit.value > 0, Int(proto.limit.value) <= Self.maxLimit else {
            let got = proto.hasLimit ? "\(proto.limit.value)" : "none"
            throw .invalidArgument("FindNearest.limit must be a positive integer of no more than \(Self.maxLimit) (got \(got)).")
        }
        limit = Int(proto.limit.value)
        switch proto.distanceMeasure {
        case .euclidean: measure = .euclidean
        case .cosine: measure = .cosine
        case .dotProduct: measure = .dotProduct
        default:
            throw .invalidArgument(
                "Unknown Distance Measure. FindNearest.distanceMeasure must be EUCLIDEAN, COSINE or DOT_PRODUCT.")
        }
        field = try Self.path(proto.vectorField.fieldPath, in: "FindNearest.vectorField")
    }

    /// The checks that follow the query's own offset, limit and cursor checks.
    mutating func validateOutput(_ proto: Proto) throws(FirestoreError) {
        if !proto.distanceResultField.isEmpty {
            let path = try Self.path(proto.distanceResultField, in: "FindNearest.distanceResultField")
            if let reserved = path.segments.first(where: DocumentValidation.isReserved) {
                throw .invalidArgument("The distanceResultField.property.name \"\(reserved)\" is reserved.")
            }
            resultField = path
        }
        if proto.hasDistanceThreshold {
            let value = proto.distanceThreshold.value
            guard value.isFinite else {
                throw .invalidArgument("distanceThreshold must be a finite number (got \(value)).")
            }
            threshold = value
        }
    }

    static func queryVector(_ proto: Proto) throws(FirestoreError) -> [Double] {
        let value = proto.queryVector
        guard let kind = value.valueType else {
            throw .invalidArgument("Cannot convert firestore.v1.Value with type unset. FindNearest.queryVector is missing.")
        }
        guard case .mapValue(let map) = kind, VectorValue.isTagged(map) else {
            throw .invalidArgument("Query Value must be of type vector. FindNearest.queryVector holds \(describe(kind)).")
        }
        return try VectorValue.validate(map, allowNaN: true, place: "FindNearest.queryVector")
    }

    static func path(_ string: String, in place: String) throws(FirestoreError) -> FieldPath {
        do {
            return try FieldPath(parsing: string)
        } catch {
            throw .invalidArgument("\(error.message) (\(place))")
        }
    }

    static func describe(_ kind: FirestoreValue.OneOf_ValueType) -> String {
        switch kind {
        case .nullValue: "null"
        case .booleanValue: "a boolean"
        case .integerValue, .doubleValue: "a number"
        case .timestampValue: "a timestamp"
        case .stringValue: "a string"
        case .bytesValue: "bytes"
        case .referenceValue: "a reference"
        case .geoPointValue: "a geopoint"
        case .arrayValue: "an array"
        case .mapValue: "a map without __type__ \"__vector__\""
        }
    }
}
