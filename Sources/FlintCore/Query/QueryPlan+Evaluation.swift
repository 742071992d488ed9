import FlintProto

/// Matching, ordering and cursor checks of a plan against stored documents.
extension QueryPlan {
    /// The values a document has for each order field (`__name__` as a reference), or nil when
    /// it lacks one (such documents are not in the result).
    public func orderValues(_ fields: Fields, name: String) -> [FirestoreValue]? {
        var out: [FirestoreValue] = []
        out.reserveCapacity(orders.count)
        for order in orders {
            if order.path.isDocumentKey {
                out.append(.with { $0.referenceValue = name })
            } else {
                guard let v = fields.value(at: order.path) else { return nil }
                out.append(v)
            }
        }
        return out
    }

    /// Compares two documents' order values under the plan's directions.
    public func compare(_ a: [FirestoreValue], _ b: [FirestoreValue]) -> Int {
        for (i, order) in orders.enumerated() {
            let c = ValueOrder.compare(a[i], b[i])
            if c != 0 { return order.descending ? -c : c }
        }
        return 0
    }

    /// Compares a document's order values with a cursor's values (a prefix of the orders).
    func compare(_ values: [FirestoreValue], cursor: Bound) -> Int {
        for (i, cursorValue) in cursor.values.enumerated() where i < orders.count {
            var c = ValueOrder.compare(values[i], cursorValue)
            if orders[i].descending { c = -c }
            if c != 0 { return c }
        }
        return 0
    }

    /// Whether a document (by its order values) lies before the start cursor.
    public func isBeforeStart(_ values: [FirestoreValue]) -> Bool {
        guard let start else { return false }
        let c = compare(values, cursor: start)
        return start.before ? c < 0 : c <= 0
    }

    /// Whether a document lies past the end cursor.
    public func isAfterEnd(_ values: [FirestoreValue]) -> Bool {
        guard let end else { return false }
        let c = compare(values, cursor: end)
        return end.before ? c >= 0 : c > 0
    }

    public func matches(_ fields: Fields, name: String) -> Bool {
        filter?.matches(fields, name: name) ?? true
    }
}
