/// The running result of a `findNearest` plan: offered documents one at a time, it keeps the
/// nearest `limit` candidates (and only those), then hands them back nearest first with the
/// distance written where the search asks.
public struct NearestSelection {
    struct Ranked {
        var doc: DocumentSnapshot
        var distance: Double
        var values: [FirestoreValue]
    }

    public let plan: QueryPlan
    public let database: DatabaseID
    private var kept: NearestNeighbors<Ranked>

    /// A selection for a plan with a vector search; `plan.limit == 0` (planning only) keeps nothing.
    public init(plan: QueryPlan, database: DatabaseID) {
        precondition(plan.nearest != nil, "a plan without findNearest")
        self.plan = plan
        self.database = database
        let capacity = plan.limit == 0 ? 0 : plan.nearest!.limit
        kept = NearestNeighbors(capacity: capacity) { a, b in
            plan.ranksBefore((a.distance, a.values), (b.distance, b.values))
        }
    }

    /// Whether a candidate at this distance could be kept: false only when it is farther than
    /// every kept one, so a scan can skip it without reading the rest of its document.
    public func mightKeep(distance: Double) -> Bool {
        guard kept.isFull else { return true }
        guard let worst = kept.worst, let measure = plan.nearest?.measure else { return false }
        return measure.compare(distance, worst.distance) <= 0
    }

    /// Considers one document the query's scan produced.
    public mutating func offer(_ doc: DocumentSnapshot) {
        guard let (distance, values) = plan.nearestCandidate(doc.fields, name: database.name(of: doc.path)) else { return }
        kept.offer(Ranked(doc: doc, distance: distance, values: values))
    }

    /// The kept documents, nearest first, carrying the distance field when asked for.
    public var results: [DocumentSnapshot] {
        kept.sorted().map { ranked in
            var doc = ranked.doc
            if plan.nearest?.resultField != nil {
                doc.fields = plan.resultFields(doc.fields, distance: ranked.distance)
                doc.encodedFields = nil
            }
            return doc
        }
    }
}
