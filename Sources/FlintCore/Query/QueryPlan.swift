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

    public static let maxDisjunctions = 30
    public static let maxFilterValueBytes = 1500

    public init(_ query: StructuredQuery) throws(FirestoreError) {
        if query.hasFindNearest {
            throw FirestoreError(.unimplemented, "findNearest (vector search) is not supported by this server.")
        }
        guard query.from.count <= 1 else {
            throw .invalidArgument("A query can read from only one collection selector.")
        }
        let selector = query.from.first ?? .init()
        collectionID = selector.collectionID.isEmpty ? nil : selector.collectionID
        allDescendants = selector.allDescendants
        if let id = collectionID { try ResourceName.validateID(id) }

        filter = query.hasWhere ? try Self.filter(query.where) : nil
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
        let explicitCount = query.orderBy.count
        if query.hasStartAt { start = try Self.bound(query.startAt, explicitCount) }
        if query.hasEndAt { end = try Self.bound(query.endAt, explicitCount) }
        if collectionID == nil {
            try Self.validateKindless(self)
        }
    }

    static func bound(_ cursor: Google_Firestore_V1_Cursor, _ explicitCount: Int) throws(FirestoreError) -> Bound {
        if cursor.values.count > max(explicitCount, 1) && cursor.values.count > explicitCount {
            throw .invalidArgument("Cursor has too many values.")
        }
        var values: [FirestoreValue] = []
        for v in cursor.values { values.append(try DocumentValidation.normalized(v, path: ["cursor"], depth: 1)) }
        return Bound(values: values, before: cursor.before)
    }

    static func orders(_ query: StructuredQuery, filter: Filter?) throws(FirestoreError) -> [Order] {
        var orders: [Order] = []
        for o in query.orderBy {
            let path = try FieldPath(parsing: o.field.fieldPath)
            if orders.contains(where: { $0.path == path }) {
                throw .invalidArgument("Order by field \"\(path)\" appears more than once.")
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

    /// Orders on fields that must exist (aggregated fields), placed before `__name__`.
    public mutating func requireOrder(on paths: [FieldPath]) {
        let direction = orders.last?.descending ?? false
        for path in paths.sorted() where !orders.contains(where: { $0.path == path }) {
            orders.insert(Order(path: path, descending: direction), at: orders.count - 1)
        }
    }

    /// Kindless queries (used by recursive deletes) only scan keys in ascending order.
    static func validateKindless(_ plan: QueryPlan) throws(FirestoreError) {
        if plan.filter != nil || plan.orders.count != 1 || plan.orders[0].descending {
            throw .invalidArgument("Kindless queries only support an ascending __name__ order and no filters.")
        }
    }
}
