import FlintProto

/// `findNearest`: what the rest of a query may hold beside it, and how its candidates rank.
///
/// The query's filters and orders select the candidates (an order field must exist, as in any
/// query), the search keeps the nearest `limit` of them, and the query's order breaks ties
/// between equal distances. Checks and texts follow the official emulator, in its order.
extension QueryPlan {
    static func nearest(_ query: StructuredQuery, orders: [Order]) throws(FirestoreError) -> VectorSearch {
        var search = try VectorSearch(query.findNearest)
        if query.offset != 0 { throw .invalidArgument("A query offset cannot be used with FindNearest") }
        if query.hasLimit { throw .invalidArgument("A query limit cannot be used with FindNearest") }
        if query.hasStartAt || query.hasEndAt {
            let which = query.hasStartAt ? "startAt" : "endAt"
            throw .invalidArgument("A cursor cannot be used with FindNearest (the query has \(which)).")
        }
        try search.validateOutput(query.findNearest)
        if orders.count == 1 && orders[0].descending {
            throw .failedPrecondition(
                "Firestore does not support descending key scans (orderBy __name__ DESCENDING with FindNearest).")
        }
        return search
    }

    /// A document's distance and order values when it is a candidate of the search: it passes
    /// the filters, has every order field and holds, at the vector field, a vector of the query
    /// vector's dimension whose distance is within the threshold. Nil otherwise.
    public func nearestCandidate(_ fields: Fields, name: String) -> (distance: Double, values: [FirestoreValue])? {
        guard let nearest, let value = fields.value(at: nearest.field), matches(fields, name: name),
            let values = orderValues(fields, name: name), let distance = nearest.distance(to: value)
        else { return nil }
        return (distance, values)
    }

    /// Whether candidate `a` ranks before `b`: nearer, or as near and earlier in the query's order.
    public func ranksBefore(_ a: (distance: Double, values: [FirestoreValue]), _ b: (distance: Double, values: [FirestoreValue]))
        -> Bool
    {
        guard let measure = nearest?.measure else { return compare(a.values, b.values) < 0 }
        let c = measure.compare(a.distance, b.distance)
        return c != 0 ? c < 0 : compare(a.values, b.values) < 0
    }

    /// The fields a result carries: the stored ones, plus the distance when the search asks for it.
    public func resultFields(_ fields: Fields, distance: Double) -> Fields {
        guard let path = nearest?.resultField else { return fields }
        var out = fields
        out.setValue(.double(distance), at: path)
        return out
    }
}
