import FlintProto

public typealias StructuredAggregationQuery = Google_Firestore_V1_StructuredAggregationQuery

/// A validated aggregation with its resolved alias.
public struct Aggregation: Sendable {
    public enum Kind: Sendable {
        case count(upTo: Int64?)
        case sum(FieldPath)
        case avg(FieldPath)
    }

    public var alias: String
    public var kind: Kind

    public static let maxPerQuery = 5

    /// Validates the aggregations; unaliased ones are named `field_1`, `field_2`, … in order.
    public static func parse(_ query: StructuredAggregationQuery) throws(FirestoreError) -> [Aggregation] {
        if query.aggregations.isEmpty { throw .invalidArgument("Aggregations can not be empty.") }
        if query.aggregations.count > maxPerQuery {
            throw .invalidArgument(
                "Too many aggregations: \(query.aggregations.count) were given, at most \(maxPerQuery) are allowed per query.")
        }
        var out: [Aggregation] = []
        var unnamed = 0
        var seen = Set<String>()
        for a in query.aggregations {
            var alias = a.alias
            if alias.isEmpty {
                unnamed += 1
                alias = "field_\(unnamed)"
            } else if alias.utf8.count >= 4 && alias.hasPrefix("__") && alias.hasSuffix("__") {
                throw .invalidArgument("The property.name \"\(alias)\" is reserved.")
            }
            guard seen.insert(alias).inserted else {
                throw .invalidArgument("Aggregation aliases contain duplicate alias: \(alias).")
            }
            let kind: Kind
            switch a.operator {
            case .count(let c):
                if c.hasUpTo && c.upTo.value < 0 {
                    throw .invalidArgument("The `up_to` value in a COUNT aggregation must be greater than or equal to zero.")
                }
                kind = .count(upTo: c.hasUpTo ? c.upTo.value : nil)
            case .sum(let s): kind = .sum(try aggregated(s.field.fieldPath))
            case .avg(let s): kind = .avg(try aggregated(s.field.fieldPath))
            case nil: throw .invalidArgument("Operator field in Aggregation is not set.")
            }
            out.append(Aggregation(alias: alias, kind: kind))
        }
        return out
    }

    static func aggregated(_ fieldPath: String) throws(FirestoreError) -> FieldPath {
        let path = try FieldPath(parsing: fieldPath)
        if path.isDocumentKey { throw .invalidArgument("Aggregations are not supported for the property: __key__") }
        return path
    }

    /// Fields that sum/avg read: documents lacking any of them are not aggregated.
    public static func requiredFields(_ aggregations: [Aggregation]) -> [FieldPath] {
        var out: [FieldPath] = []
        for a in aggregations {
            switch a.kind {
            case .sum(let p), .avg(let p): if !out.contains(p) { out.append(p) }
            case .count: break
            }
        }
        return out
    }

    /// A count aggregate from a known number of matches.
    public func count(_ n: Int) -> FirestoreValue {
        guard case .count(let upTo) = kind else { return .null }
        return .integer(upTo.map { min($0, Int64(n)) } ?? Int64(n))
    }

    /// The aggregate over the documents' fields, with Firestore's numeric rules.
    public func compute(over documents: [Fields]) -> FirestoreValue {
        switch kind {
        case .count(let upTo):
            let n = Int64(documents.count)
            return .integer(upTo.map { min($0, n) } ?? n)
        case .sum(let path):
            let (ints, doubles, sawDouble, count) = Self.accumulate(documents, path)
            if count == 0 { return .integer(0) }
            if sawDouble { return .double(Double(ints) + doubles) }
            if let exact = Int64(exactly: ints) { return .integer(exact) }
            return .double(Double(ints))
        case .avg(let path):
            let (ints, doubles, _, count) = Self.accumulate(documents, path)
            if count == 0 { return .null }
            return .double((Double(ints) + doubles) / Double(count))
        }
    }

    /// Integer parts summed exactly (overflow is judged on the total), doubles separately.
    static func accumulate(_ documents: [Fields], _ path: FieldPath) -> (Int128, Double, Bool, Int) {
        var ints: Int128 = 0
        var doubles = 0.0
        var sawDouble = false
        var count = 0
        for fields in documents {
            switch fields.value(at: path)?.valueType {
            case .integerValue(let i)?:
                ints += Int128(i)
                count += 1
            case .doubleValue(let d)?:
                doubles += d
                sawDouble = true
                count += 1
            default: continue
            }
        }
        return (ints, doubles, sawDouble, count)
    }
}
