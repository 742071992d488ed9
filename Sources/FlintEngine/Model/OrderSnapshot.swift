import FlintCore

/// The lifecycle of `internalStatus`.
enum OrderStage {
    static let created = "created_pending"
    static let approved = "approved"
    static let readyForShipping = "ready_for_shipping"
    static let shipped = "shipped"
    static let delivered = "delivered"
    static let cancelled = "cancelled"
    static let returned = "returned"
    static let all: Set<String> = [
        created, approved, readyForShipping, shipped, "in_transit", delivered, "return_initiated", returned, cancelled,
    ]
    /// The stages that change a customer's profile.
    static let counted: Set<String> = [shipped, delivered, cancelled, returned]
}

/// What one version of an order document says, in the terms the engine counts by.
struct OrderSnapshot: Equatable {
    var phone: String
    /// The writer's `createdAt`, else the document's create time.
    var createdAt: Int64
    var total: Double
    /// The total was written as an integer: sums of integers stay integers.
    var integral: Bool
    var source: String?
    /// productId → quantity.
    var products: [String: Int64]
    /// `internalStatus` (created_pending when absent).
    var status: String
    /// Profile-relevant stages reached: `statusTimes.{stage}` from the writer, else (for the
    /// current status) the time of this version.
    var stages: [String: Int64]
    var shippingZip: String?
    /// The stage whose time is this version's (the writer gave none).
    var stageTimedByVersion: String?
    /// Whether the order already carries an approval decision.
    var hasApproval: Bool
    /// Which version of the document this is (its update time).
    var version: Int64

    /// Reads an order; nil when it names no `customerPhone` (not an order the engine handles).
    /// `time` turns a commit time into engine time (the engine clock may be moved).
    init?(_ doc: DocumentSnapshot, time: (Int64) -> Int64) throws(FirestoreError) {
        let f = doc.fields
        let name = doc.path.description
        guard let phone = f["customerPhone"]?.string, !phone.isEmpty else { return nil }
        guard !phone.contains("/"), phone != ".", phone != ".." else {
            throw .invalidArgument("\(name): customerPhone \"\(phone)\" cannot name a customers/ document.")
        }
        self.phone = phone
        if let v = f["createdAt"] {
            guard let t = v.micros else { throw .invalidArgument("\(name): createdAt must be a timestamp.") }
            createdAt = t
        } else {
            createdAt = time(doc.createTime)
        }
        guard let total = f["total"]?.number, total >= 0 else {
            throw .invalidArgument("\(name): total must be a non-negative number.")
        }
        self.total = total
        if case .integerValue = f["total"]?.valueType { integral = true } else { integral = false }
        source = f["source"]?.string
        products = [:]
        for (i, item) in (f["items"]?.arrayElements ?? []).enumerated() {
            guard let m = item.mapFields, let id = m["productId"]?.string, !id.isEmpty,
                let qty = m["qty"]?.count, (0...1_000_000_000).contains(qty)
            else {
                throw .invalidArgument("\(name): items[\(i)] needs a productId and a whole qty from 0 to 1000000000.")
            }
            products[id, default: 0] += qty
        }
        status = f["internalStatus"]?.string ?? OrderStage.created
        guard OrderStage.all.contains(status) else {
            throw .invalidArgument(
                "\(name): internalStatus \"\(status)\" is not one of \(OrderStage.all.sorted().joined(separator: ", "))."
            )
        }
        stages = [:]
        let times = f["statusTimes"]?.mapFields ?? [:]
        for stage in OrderStage.counted {
            if let t = times[stage]?.micros { stages[stage] = t }
        }
        if OrderStage.counted.contains(status), stages[status] == nil {
            stages[status] = time(doc.updateTime)
            stageTimedByVersion = status
        }
        shippingZip = f["shippingAddress"]?.mapFields?["zip"]?.string
        hasApproval = f["approval"] != nil
        version = doc.updateTime
    }

    /// The part that feeds the profile, without the times filled in from this version:
    /// two versions with equal keys change nothing in the profile.
    var profileKey: String {
        let stageKeys = stages.keys.sorted().map { $0 == stageTimedByVersion ? $0 : "\($0)=\(stages[$0]!)" }
        let items = products.keys.sorted().map { "\($0)x\(products[$0]!)" }
        return [
            phone, String(createdAt), integral ? String(Int64(total)) : String(total), source ?? "", items.joined(separator: ","),
            stageKeys.joined(separator: ","),
        ].joined(separator: "|")
    }

    /// Whether the engine has something to do with the order as it stands.
    var needsDecision: Bool { (status == OrderStage.created && !hasApproval) || status == OrderStage.approved }
}
