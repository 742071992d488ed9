import FlintProto

/// A validated StructuredQuery: where it reads, what it filters, and its full ordering.
public struct QueryPlan: Sendable {
    public struct Order: Sendable, Equatable {
        public var path: FieldPath
        public var descending: Bool
    }

    public struct Bound: Sendable {
        public var values: [FirestoreValue]
        public var before: Bool
    }

    /// The collection id to read, or nil for a kindless query.
    public var collectionID: String?
    public var allDescendants: Bool
    public var filter: Filter?
    /// Explicit orders, then implicit ones, ending with `__name__`.
    public var orders: [Order]
    public var start: Bound?
    public var end: Bound?
    public var offset: Int
    public var limit: Int?
    public var projection: [FieldPath]?
    /// A vector search over the documents the rest of the plan selects (`findNearest`).
    public var nearest: VectorSearch?
    /// Whether the query ordered by `__name__` explicitly.
    var explicitKeyOrder = false
    /// Whether this is a collection group read below a document (a key scan only).
    var groupBelowDocument = false

    public static let maxDisjunctions = 30
    public static let maxFilterValueBytes = 1500

    /// Validates `query` as run in `database` below `parent`; error texts follow the official emulator.
    public init(_ query: StructuredQuery, database: DatabaseID, parent: ResourcePath) throws(FirestoreError) {
        guard query.from.count <= 1 else {
            throw .invalidArgument("StructuredQuery.from cannot have more than one collection selector.")
        }
        let selector = query.from.first ?? .init()
        collectionID = selector.collectionID.isEmpty ? nil : selector.collectionID
        allDescendants = selector.allDescendants
        if let id = collectionID { try ResourceName.validateID(id, collection: true) }

        filter = query.hasWhere ? try Self.filter(query.where, database: database) : nil
        if let filter { try Self.validate(filter) }

        if query.offset < 0 { throw .invalidArgument("offset is negative") }
        offset = Int(query.offset)
        if query.hasLimit {
            if query.limit.value < 0 { throw .invalidArgument("limit is negative") }
            limit = Int(query.limit.value)
        }
        if query.hasSelect {
            var fields: [FieldPath] = []
            for f in query.select.fields { fields.append(try FieldPath(parsing: f.fieldPath)) }
            projection = fields
        }
        orders = try Self.orders(query, filter: filter)
        explicitKeyOrder = query.orderBy.contains { $0.field.fieldPath == "__name__" }
        groupBelowDocument = allDescendants && !parent.isEmpty
        let explicitCount = query.orderBy.count
        if query.hasStartAt { start = try Self.bound(query.startAt, explicitCount, orders, database) }
        if query.hasEndAt { end = try Self.bound(query.endAt, explicitCount, orders, database) }
        if collectionID == nil {
            try Self.validateKindless(self)
        } else if allDescendants && !parent.isEmpty {
            try Self.validateGroupBelowDocument(self)
        }
        if query.hasFindNearest { nearest = try Self.nearest(query, orders: orders) }
    }

    static func bound(_ cursor: Google_Firestore_V1_Cursor, _ explicitCount: Int, _ orders: [Order], _ database: DatabaseID)
        throws(FirestoreError) -> Bound
    {
        if cursor.values.count > explicitCount { throw .invalidArgument("Cursor has too many values.") }
        var values: [FirestoreValue] = []
        for (i, v) in cursor.values.enumerated() {
            let value = try DocumentValidation.validatedOperand(v, path: ["cursor"])
            if orders[i].path.isDocumentKey {
                guard case .referenceValue(let r) = value.valueType else {
                    throw .invalidArgument("Cursor __key__ value is not a document reference.")
                }
                if try ResourceName.parse(r).0 != database {
                    throw .invalidArgument("The cursor key is in a different database than the query")
                }
            }
            values.append(value)
        }
        return Bound(values: values, before: cursor.before)
    }

    static func orders(_ query: StructuredQuery, filter: Filter?) throws(FirestoreError) -> [Order] {
        var orders: [Order] = []
        for o in query.orderBy {
            let path = try FieldPath(parsing: o.field.fieldPath)
            if orders.contains(where: { $0.path == path }) {
                throw .invalidArgument("order by clause cannot contain duplicate fields \(path)")
            }
            orders.append(Order(path: path, descending: o.direction == .descending))
        }
        let direction = orders.last?.descending ?? false
        let inequalities = Set(filter?.inequalityFields ?? []).filter { f in !orders.contains { $0.path == f } }
        if !inequalities.isEmpty, orders.contains(where: { $0.path.isDocumentKey }) {
            throw .invalidArgument("order by clause cannot contain more fields after the key")
        }
        for f in inequalities.sorted() where !f.isDocumentKey { orders.append(Order(path: f, descending: direction)) }
        if let keyIndex = orders.firstIndex(where: { $0.path.isDocumentKey }) {
            if keyIndex != orders.count - 1 {
                throw .invalidArgument("order by clause cannot contain more fields after the key")
            }
        } else {
            orders.append(Order(path: .documentKey, descending: direction))
        }
        return orders
    }

    /// The same plan with limit 0: execution chooses its access paths and reads nothing.
    public var planningOnly: QueryPlan {
        var copy = self
        copy.limit = 0
        return copy
    }

    /// Aggregated fields act as implicit orders, which cannot follow an explicit key order.
    public func checkAggregatedFields(_ paths: [FieldPath]) throws(FirestoreError) {
        let keyOrdered = explicitKeyOrder || (allDescendants && groupBelowDocument)
        let missing = paths.filter { p in !orders.contains { $0.path == p } }
        if keyOrdered && !missing.isEmpty {
            throw .invalidArgument(
                "This query requires an index that has fields [\(missing.map(\.description).joined(separator: ", "))] after __name__ and Firestore does not currently support such an index. Please try the query again with additional ordering on those fields."
            )
        }
    }

    /// Orders on fields that must exist (aggregated fields), placed before `__name__`.
    public mutating func requireOrder(on paths: [FieldPath]) {
        let direction = orders.last?.descending ?? false
        for path in paths.sorted() where !orders.contains(where: { $0.path == path }) {
            orders.insert(Order(path: path, descending: direction), at: orders.count - 1)
        }
    }

    /// Kindless queries (used by recursive deletes) only scan keys in ascending order.
    static func validateKindless(_ plan: QueryPlan) throws(FirestoreError) {
        if let field = plan.filter?.firstField(where: { !$0.isDocumentKey }) {
            throw .invalidArgument("kind is required for filter: \(field)")
        }
        if plan.orders.count != 1 || plan.orders[0].descending {
            throw .invalidArgument("kind is required for all orders except __key__ ascending")
        }
    }

    /// A collection group below a document may only be read as an ascending key scan.
    static func validateGroupBelowDocument(_ plan: QueryPlan) throws(FirestoreError) {
        if plan.filter?.firstField != nil || plan.orders.count != 1 {
            throw .invalidArgument("collection group queries are only allowed at the root parent")
        }
        if plan.orders[0].descending {
            throw .failedPrecondition(
                "collection group queries are only allowed if they're at the root or they're an ascending primary key scan")
        }
    }
}
