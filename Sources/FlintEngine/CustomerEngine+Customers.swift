import FlintCore
import FlintProto
import FlintService
import FlintTriggers

extension CustomerEngine {
    /// Whether a profile change gives `handleCustomer` anything to do, from the change alone (so
    /// it is decided inside the commit, and the engine's own profile updates, which keep the
    /// derived fields in line, make no events): nil when nothing, else whether it brings a new
    /// customer number.
    static func profileWork(before: DocumentSnapshot?, after: DocumentSnapshot, _ rules: EngineRules) -> Bool? {
        let newNumber = CustomerNumber.parse(after.fields["customerId"]?.string) != nil
            && after.fields["customerId"] != before?.fields["customerId"]
        let dubiousChanged = after.fields["isDubious"]?.bool != before?.fields["isDubious"]?.bool
        guard newNumber || dubiousChanged || !rules.corrections(of: after.fields).isEmpty else { return nil }
        return newNumber
    }

    /// The `engine.customers` filter: a written profile that needs the handler (see `profileWork`).
    func customerNeedsWork(_ change: DocumentChange) -> Bool {
        guard let after = change.after else { return false }
        remember(change.database)
        return Self.profileWork(before: change.before, after: after, rules) != nil
    }

    /// Any write to `customers/{phone}`: keeps `region` and `isDubious` true to the profile's
    /// address, scores, blacklistReason and an admin's own `isDubious: true`, and keeps the customer number sequence above every
    /// customerId written by others. A profile that is already right is left untouched.
    func handleCustomer(_ event: TriggerEvent, _ context: TriggerContext) async throws {
        guard let after = event.after, let newNumber = Self.profileWork(before: event.before, after: after, rules) else {
            return
        }
        remember(event.database)  // also for events delivered after a restart
        let phone = event.path.lastSegment
        let seed = newNumber ? try await sequenceSeed(context, unlessExists: nil) : nil
        let rules = self.rules
        let unknownZips = try await context.update { reads -> (writes: [Google_Firestore_V1_Write], value: [String]) in
            guard let profile = try reads.document(EnginePaths.customer(phone)) else { return ([], []) }
            var writes: [Google_Firestore_V1_Write] = []
            var unknown: [String] = []
            let stateDoc = try reads.document(EnginePaths.state(phone))
            var state = stateDoc.map { CustomerState(fields: $0.fields) } ?? CustomerState()
            var dubious = state.dubious ?? DubiousMark()
            dubious.observe(profile.fields["isDubious"]?.bool, ruleSays: rules.dubiousByRule(profile.fields))
            let fix = rules.corrections(of: profile.fields, adminDubious: dubious.admin) { unknown.append($0) }
            if !fix.isEmpty {
                writes.append(
                    .set(
                        context.name(EnginePaths.customer(phone)), fix,
                        merge: fix.keys.sorted().map { FieldPath([$0]) },
                        serverTimestamps: [FieldPath(["updatedAt"])]))
            }
            dubious.written = (fix["isDubious"] ?? profile.fields["isDubious"])?.bool
            // Without bookkeeping yet, a record is needed only of the engine's own isDubious or an admin's flag.
            if dubious != state.dubious, stateDoc != nil || dubious.admin || fix["isDubious"] != nil {
                state.dubious = dubious
                writes.append(.set(context.name(EnginePaths.state(phone)), state.fields))
            }
            if newNumber, let n = CustomerNumber.parse(profile.fields["customerId"]?.string) {
                let sequence = try reads.document(EnginePaths.customerSequence)
                let last = sequence?.fields["last"]?.count ?? seed ?? 0
                if n > last || sequence == nil {
                    writes.append(.set(context.name(EnginePaths.customerSequence), ["last": .integer(max(n, last))]))
                }
            }
            return (writes, unknown)
        }
        for zip in unknownZips { logUnknownZip(zip, phone: phone) }
    }
}
