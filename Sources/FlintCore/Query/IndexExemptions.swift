/// Single-field index exemptions, like `fieldOverrides` entries with no indexes in
/// `firestore.indexes.json`: the named fields, and everything inside them, of every document in a
/// collection group get no index rows. A query that filters or orders on an exempt field fails
/// with FAILED_PRECONDITION, as it does in production, instead of silently missing documents.
public struct IndexExemptions: Sendable, Equatable {
    /// Canonical field paths (`FieldPath.description`) by collection group id.
    public private(set) var fields: [String: Set<String>] = [:]

    public init(_ fields: [String: [FieldPath]] = [:]) {
        for (group, paths) in fields { add(group: group, fields: paths) }
    }

    public mutating func add(group: String, fields paths: [FieldPath]) {
        if paths.isEmpty { return }
        fields[group, default: []].formUnion(paths.map(\.description))
    }

    public mutating func formUnion(_ other: IndexExemptions) {
        for (group, paths) in other.fields { fields[group, default: []].formUnion(paths) }
    }

    /// The exempt canonical paths of a collection group, or nil when it has none.
    public func exempt(inGroup group: String) -> Set<String>? { fields[group] }

    /// Whether `path`, or a map it is inside, is exempt in `group`.
    public func exempts(_ path: FieldPath, inGroup group: String) -> Bool {
        guard let exempt = fields[group] else { return false }
        var prefix = FieldPath([])
        for segment in path.segments {
            prefix = FieldPath(prefix.segments + [segment])
            if exempt.contains(prefix.description) { return true }
        }
        return false
    }

    /// Refuses a query that would need the index of an exempt field.
    public func check(_ plan: QueryPlan) throws(FirestoreError) {
        guard let group = plan.collectionID, fields[group] != nil else { return }
        let used = (plan.filter?.fieldPaths ?? []) + plan.orders.map(\.path)
        if let path = used.first(where: { exempts($0, inGroup: group) }) {
            throw FirestoreError(
                .failedPrecondition,
                "The query requires an index on \"\(path)\" of collection group \"\(group)\", which is exempt from single-field indexing."
            )
        }
    }
}

extension Filter {
    /// Every field the filter tests.
    public var fieldPaths: [FieldPath] {
        switch self {
        case .and(let fs), .or(let fs): fs.flatMap(\.fieldPaths)
        case .field(let p, _, _), .unary(let p, _): [p]
        }
    }
}
