import FlintCore
import FlintProto
import FlintService
import FlintTriggers

extension CustomerEngine {
    /// Any write to `orders/{orderId}`: counts the order into its customer's profile, decides
    /// approval of a new order and routes an approved one, and queues notifications.
    func handleOrder(_ event: TriggerEvent, _ context: TriggerContext) async throws {
        // A deleted order stays counted: the profile is history, not the current order book.
        guard let after = event.after else { return }
        let time: @Sendable (Int64) -> Int64 = { [clock] t in clock.time(ofCommit: t) }
        guard let snapshot = try OrderSnapshot(after, time: time) else { return }
        remember(event.database)
        if let before = event.before, let old = try? OrderSnapshot(before, time: time),
            old.profileKey == snapshot.profileKey, !snapshot.needsDecision, !notifies(from: old.status, to: snapshot.status)
        {
            return  // e.g. the engine's own approval write: nothing the profile counts changed
        }
        let phone = snapshot.phone
        let settings = try await self.settings(for: event.database)
        var transaction = OrderTransaction(
            rules: rules, settings: settings, orderID: event.path.lastSegment, snapshot: snapshot, now: clock.now,
            sequenceSeed: .notLookedUp, time: time, name: context.name)
        var outcome = try await context.update { [transaction] reads in try transaction.run(reads) }
        if outcome.needsSequenceSeed {
            // A new profile to number and no sequence yet: find the highest number in use (outside
            // the transaction, it may read every profile), then run again with it.
            let seed = try await sequenceSeed(context, unlessExists: EnginePaths.customer(phone))
            transaction.sequenceSeed = .found(seed)
            outcome = try await context.update { [transaction] reads in try transaction.run(reads) }
        }
        for zip in outcome.unknownZips { logUnknownZip(zip, phone: phone) }
    }

    /// Whether a status change needs the transaction for its notification alone. The approval
    /// write's `ready_for_shipping` does not: the transaction that decided it queued its notifications.
    func notifies(from old: String, to new: String) -> Bool {
        guard old != new, rules.notifications.orderTemplates[new] != nil else { return false }
        let decided = new == OrderStage.readyForShipping && (old == OrderStage.created || old == OrderStage.approved)
        return !decided
    }

    /// The highest customer number already in use, when the sequence document does not exist yet
    /// and `path` (a profile about to be created) is missing: profiles loaded before the engine
    /// numbered any keep their ids unique.
    func sequenceSeed(_ context: TriggerContext, unlessExists path: ResourcePath?) async throws -> Int64? {
        let (service, database) = (context.service, context.database)
        if let path, try await service.documentExists(database, path) { return nil }
        if try await service.documentExists(database, EnginePaths.customerSequence) { return nil }
        var highest: Int64 = 0
        var after: String?
        while true {
            let page = try await service.documents(database, in: EnginePaths.customers, afterID: after, limit: 1000)
            for doc in page { highest = max(highest, CustomerNumber.parse(doc.fields["customerId"]?.string) ?? 0) }
            guard let last = page.last, page.count == 1000 else { break }
            after = last.path.lastSegment
        }
        return highest
    }

    func logUnknownZip(_ zip: String, phone: String) {
        logger.warning(
            "zip \(zip) of customers/\(phone) is not in the regions table; region set to \(rules.regions.defaultRegion)"
        )
    }
}

/// One order event's read-compute-write, run inside the serial write transaction.
struct OrderTransaction: Sendable {
    let rules: EngineRules
    /// The database's approval settings and courier integrations.
    let settings: EngineSettings
    let orderID: String
    let snapshot: OrderSnapshot
    let now: Int64
    /// The highest customer number in use, for numbering a new profile while the sequence
    /// document does not exist; looked up only when a transaction needs it.
    var sequenceSeed: SequenceSeed
    let time: @Sendable (Int64) -> Int64
    let name: @Sendable (ResourcePath) -> String

    typealias Write = Google_Firestore_V1_Write

    enum SequenceSeed: Sendable {
        case notLookedUp
        case found(Int64?)
    }

    struct Outcome: Sendable {
        /// The zips the regions table did not know.
        var unknownZips: [String] = []
        /// Nothing was written: the profile needs a number and the seed must be looked up first.
        var needsSequenceSeed = false
    }

    /// Returns the writes and what the handler must log or do next.
    func run(_ reads: AtomicReads) throws -> (writes: [Write], value: Outcome) {
        let phone = snapshot.phone
        let profileDoc = try reads.document(EnginePaths.customer(phone))
        let stateDoc = try reads.document(EnginePaths.state(phone))
        let current = try reads.document(EnginePaths.order(orderID))
        let profile = profileDoc?.fields ?? [:]
        var state = stateDoc.map { CustomerState(fields: $0.fields) } ?? CustomerState()
        var writes: [Write] = []

        let firstCount = state.orders[orderID] == nil
        adoptProfile(profile, exists: profileDoc != nil, into: &state)
        var dubious = state.dubious ?? DubiousMark()
        dubious.observe(profile["isDubious"]?.bool, ruleSays: rules.dubiousByRule(profile))
        var fact = state.orders[orderID] ?? OrderFact(snapshot)
        fact.merge(snapshot)
        // The order as it stands now is a version too (it may be ahead of this event).
        let currentOrder = current.flatMap { try? OrderSnapshot($0, time: time) }.flatMap {
            $0.phone == phone ? $0 : nil
        }
        if let currentOrder { fact.merge(currentOrder) }
        state.orders[orderID] = fact
        let metrics = ProfileMetrics(state: state, initialTrust: rules.trust.initialScore, rules: rules)
        state.trust?.written = metrics.trustScore

        var unknownZips: [String] = []
        var newProfile = profileFields(profile, metrics: metrics, state: state)
        let shipping = current?.fields["shippingAddress"].flatMap { $0.mapFields != nil ? $0 : nil }
        if profileDoc == nil {
            if let shipping { newProfile["defaultAddress"] = shipping }
            newProfile["whatsappOptIn"] = .boolean(false)
        } else if firstCount, let shipping, let saved = Address.saving(shipping, in: newProfile) {
            newProfile["savedAddresses"] = saved
        }
        newProfile.merge(rules.corrections(of: newProfile, adminDubious: dubious.admin) { unknownZips.append($0) }) {
            _, new in new
        }
        dubious.written = newProfile["isDubious"]?.bool
        state.dubious = dubious
        if newProfile["customerId"] == nil {
            let sequence = try reads.document(EnginePaths.customerSequence)
            // Profiles loaded before the engine numbered any keep their ids unique: without a
            // sequence document, a new profile is numbered after the highest id in use.
            var seed: Int64?
            if sequence == nil, profileDoc == nil {
                guard case .found(let found) = sequenceSeed else { return ([], Outcome(needsSequenceSeed: true)) }
                seed = found
            }
            let next = (sequence?.fields["last"]?.count ?? seed ?? 0) + 1
            newProfile["customerId"] = .string(CustomerNumber.format(next))
            writes.append(.set(name(EnginePaths.customerSequence), ["last": .integer(next)]))
        }
        if let w = profileWrite(from: profile, to: newProfile, created: profileDoc == nil) { writes.append(w) }

        var reached: Set<String> = [snapshot.status]
        if let current, let order = currentOrder {
            reached.insert(order.status)
            let (write, stages) = decide(order, fields: current.fields, profile: newProfile, metrics: metrics)
            if let write { writes.append(write) }
            reached.formUnion(stages)
        }
        for stage in reached.sorted() {
            guard let template = rules.notifications.orderTemplates[stage] else { continue }
            let id = "\(orderID)-\(template)"
            guard
                let fields = rules.notification(
                    template: template, profile: newProfile, phone: phone, extra: ["orderId": .string(orderID)]),
                try !reads.exists(EnginePaths.notification(id))
            else { continue }
            writes.append(
                .set(name(EnginePaths.notification(id)), fields, serverTimestamps: [FieldPath(["createdAt"])]))
        }

        let stateFields = state.fields
        if stateDoc.map({ !fieldsEqual($0.fields, stateFields) }) ?? true {
            writes.append(.set(name(EnginePaths.state(phone)), stateFields))
        }
        return (writes, Outcome(unknownZips: unknownZips))
    }

    /// The first time the engine counts an order for a profile, what the profile already says
    /// becomes the baseline (a loaded profile keeps its history).
    private func adoptProfile(_ profile: Fields, exists: Bool, into state: inout CustomerState) {
        if state.baseline == nil {
            state.baseline = exists ? ProfileBaseline(profile: profile, tiers: rules.loyaltyTiers) : ProfileBaseline()
            if let segment = profile["customerSegment"]?.string, segment != Segment.active,
                let episode = state.baseline?.lastOrderAt, state.inactivity == nil
            {
                state.inactivity = InactivityMark(segment: segment, episode: episode)
            }
        }
        let score = profile["trustScore"]?.count.map { Int(min(max($0, -1_000_000), 1_000_000)) }
        if var ledger = state.trust {
            if let score, let written = ledger.written, score != written {
                // An admin set the score: it is the new base, with what is known so far in it.
                ledger = TrustLedger(
                    base: score, absorbed: Set(ProfileMetrics.trustEvents(state.orders).map(\.key)), written: score)
            }
            state.trust = ledger
        } else {
            state.trust = TrustLedger(base: score ?? rules.trust.initialScore)
        }
    }

    /// The profile with every derived field recomputed.
    private func profileFields(_ profile: Fields, metrics m: ProfileMetrics, state: CustomerState) -> Fields {
        var f = profile
        f["phone"] = .string(snapshot.phone)
        f["totalOrders"] = .integer(m.totalOrders)
        f["totalSpent"] = .money(m.totalSpent, integral: m.integralMoney)
        f["lifetimeValue"] = .money(m.lifetimeValue, integral: m.integralMoney)
        f["avgOrderValue"] = .rounded(m.avgOrderValue)
        f["refundsCount"] = .integer(m.refundsCount)
        f["returnRate"] = .rounded(m.returnRate)
        f["trustScore"] = .integer(Int64(m.trustScore))
        f["loyaltyTier"] = .string(m.loyaltyTier)
        f["orderFrequencyDays"] = .rounded(m.orderFrequencyDays)
        f["preferredProducts"] = .array(m.preferredProducts.map { .string($0) })
        if let v = m.lastOrderAt { f["lastOrderAt"] = .timestamp(micros: v) }
        if let v = m.avgDeliveryTime { f["avgDeliveryTime"] = .rounded(v) }
        f.merge(Self.interaction(source: m.lastInteractionSource, at: m.lastInteractionAt, over: profile)) { _, new in new }
        if f["defaultAddress"] == nil, f["region"] == nil, let zip = snapshot.shippingZip {
            f["region"] = .string(rules.region(zip: zip).name)
        }
        let mark = state.inactivity.flatMap { $0.episode == m.lastOrderAt ? $0 : nil }
        f["customerSegment"] = .string(mark?.segment ?? Segment.active)
        if mark?.segment == Segment.dormant, let last = m.lastOrderAt {
            f["inactiveSince"] = .timestamp(micros: last)
        } else {
            f["inactiveSince"] = nil
        }
        return f
    }

    /// The interaction fields to write: interaction times only move forward, so a later one
    /// written by others (a WhatsApp bot, an AI agent) stays, with its source.
    static func interaction(source: String?, at time: Int64?, over profile: Fields) -> Fields {
        guard let time, time >= (profile["lastInteractionAt"]?.micros ?? .min) else { return [:] }
        var f: Fields = ["lastInteractionAt": .timestamp(micros: time)]
        if let source { f["lastInteractionSource"] = .string(source) }
        return f
    }

    /// A merge write of the fields that changed (removed ones included), stamping updatedAt.
    private func profileWrite(from old: Fields, to new: Fields, created: Bool) -> Write? {
        let changed = Set(old.keys).union(new.keys).filter { key in
            switch (old[key], new[key]) {
            case (let a?, let b?): !valuesIdentical(a, b)
            case (nil, nil): false
            default: true
            }
        }
        if changed.isEmpty && !created { return nil }
        var stamps = [FieldPath(["updatedAt"])]
        if created { stamps.append(FieldPath(["createdAt"])) }
        let mask = changed.subtracting(["updatedAt", "createdAt"]).sorted().map { FieldPath([$0]) }
        return .set(
            name(EnginePaths.customer(snapshot.phone)), new.filter { changed.contains($0.key) }, merge: mask,
            serverTimestamps: stamps)
    }

    /// Approves or holds a new order, routes an approved one: the order write, and the stages it passes.
    private func decide(_ order: OrderSnapshot, fields: Fields, profile: Fields, metrics: ProfileMetrics)
        -> (Write?, [String])
    {
        var update: Fields = [:]
        var status = order.status
        var stages: [String] = []
        if order.status == OrderStage.created && !order.hasApproval {
            let decision =
                settings.autoApproval
                ? ApprovalDecision.decide(
                    total: order.total, earlierOrders: metrics.totalOrders - 1, trustScore: metrics.trustScore,
                    isDubious: profile["isDubious"]?.bool ?? false, blacklistReason: profile["blacklistReason"]?.string,
                    settings.approval)
                : ApprovalDecision(
                    status: ApprovalDecision.manualReview,
                    reason: "auto-approval is turned off (\(settings.approvalSource): enabled is false)")
            update["approval"] = .map([
                "status": .string(decision.status), "reason": .string(decision.reason),
                "decidedAt": .timestamp(micros: now),
            ])
            if decision.approved { status = OrderStage.approved }
        }
        var times = fields["statusTimes"]?.mapFields ?? [:]
        if status == OrderStage.approved {
            let courier =
                fields["courier"]?.string
                ?? rules.courier(
                    region: order.shippingZip.map { rules.region(zip: $0).name } ?? profile["region"]?.string,
                    preferred: profile["preferredCourier"]?.string)
            update["courier"] = .string(courier)
            if times[OrderStage.approved] == nil { times[OrderStage.approved] = .timestamp(micros: now) }
            times[OrderStage.readyForShipping] = .timestamp(micros: now)
            update["statusTimes"] = .map(times)
            status = OrderStage.readyForShipping
            stages = [OrderStage.approved, OrderStage.readyForShipping]
        }
        if status != order.status { update["internalStatus"] = .string(status) }
        if update.isEmpty { return (nil, stages) }
        let mask = update.keys.sorted().map { FieldPath([$0]) }
        return (.set(name(EnginePaths.order(orderID)), update, merge: mask, exists: true), stages)
    }
}
