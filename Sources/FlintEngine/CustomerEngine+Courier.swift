import FlintCore
import FlintProto
import FlintService
import FlintTriggers

extension CustomerEngine {
    // MARK: settings

    /// The settings of `database`: the rules file overridden by its `autoApprovalSettings` and
    /// `courierIntegrations` documents, read once and again after any write to them.
    func settings(for database: DatabaseID) async throws -> EngineSettings {
        try await settingsCache.settings(database) { try await loadSettings(database) }
    }

    private func loadSettings(_ database: DatabaseID) async throws -> EngineSettings {
        let service = try requireService()
        let approval = try await service.documents(database, in: EnginePaths.approvalSettings, limit: 1000)
        let couriers = try await service.documents(database, in: EnginePaths.courierIntegrations, limit: 1000)
        let settings = EngineSettings(rules: rules, rulesSource: rulesSource, approvalDocs: approval, courierDocs: couriers)
        for problem in settings.problems { logger.warning("engine settings of \(database): \(problem)") }
        return settings
    }

    /// Commit observer: a write to the settings collections makes the next use read them again.
    func settingsMayHaveChanged(_ record: CommitRecord) {
        for change in record.changes where change.path.count == 2 {
            let collection = change.path.segments[0]
            if collection == EngineSettings.approvalCollection || collection == EngineSettings.courierCollection {
                settingsCache.invalidate(change.database)
            }
        }
    }

    // MARK: booking

    /// An order waits for booking: `ready_for_shipping`, no awb yet.
    static func waitsForBooking(_ fields: Fields) -> Bool {
        fields["internalStatus"]?.string == OrderStage.readyForShipping && fields["awb"] == nil
    }

    /// Whether a change to an order may need a booking (decided inside the commit, so it reads
    /// only the cache): it waits for booking and its courier has, or may have, an API.
    func mayBook(_ change: DocumentChange) -> Bool {
        guard let after = change.after, Self.waitsForBooking(after.fields) else { return false }
        guard let settings = settingsCache.cached(change.database) else { return true }
        return settings.bookingURL(courier: after.fields["courier"]?.string ?? "") != nil
    }

    /// An order reached `ready_for_shipping`: books it if its courier has an API.
    func handleBooking(_ event: TriggerEvent, _ context: TriggerContext) async throws {
        remember(event.database)
        try await bookIfWaiting(orderID: event.path.lastSegment, context)
    }

    /// `courierIntegrations/{courier}` written: the orders waiting for that courier are booked
    /// (those that reached ready_for_shipping before its API was configured). A failure fails the
    /// run, which is retried.
    func handleIntegration(_ event: TriggerEvent, _ context: TriggerContext) async throws {
        guard event.after != nil else { return }
        let courier = event.path.lastSegment
        guard try await settings(for: event.database).bookingURL(courier: courier) != nil else { return }
        let waiting = try await orders(
            in: event.database,
            where: [("courier", .string(courier)), ("internalStatus", .string(OrderStage.readyForShipping))])
        var failures: [FirestoreError] = []
        for order in waiting where Self.waitsForBooking(order.fields) {
            do {
                try await bookIfWaiting(orderID: order.path.lastSegment, context)
            } catch let error as FirestoreError {
                failures.append(error)
            }
        }
        if failures.count == 1 { throw failures[0] }
        if let first = failures.first {
            throw FirestoreError(
                .unavailable,
                "\(failures.count) of \(waiting.count) waiting \(courier) orders not booked; the first: \(first.message)")
        }
    }

    /// Books the order if it still waits and its courier has an API; stores the awb and moves it
    /// to `shipped`. One booking per order at a time, and the order is read again inside the lock,
    /// so repeated or concurrent events book once. Returns the awb booked (nil: nothing to do).
    @discardableResult
    func bookIfWaiting(orderID: String, _ context: TriggerContext) async throws -> String? {
        let database = context.database
        let path = EnginePaths.order(orderID)
        return try await bookingLocks.run("\(database.resourceName)/\(orderID)") { () async throws -> String? in
            let settings = try await self.settings(for: database)
            guard let order = try await context.document(path), Self.waitsForBooking(order.fields),
                let courier = order.fields["courier"]?.string, let integration = settings.couriers[courier],
                let url = integration.bookingURL
            else { return nil }
            let booking = Self.bookingRequest(order.fields, id: orderID, reference: context.name(path), courier: courier)
            let awb = try await courierClient.book(url: url, authKey: integration.authKey, booking)
            let now = clock.now
            let outcome = try await context.update { reads -> (writes: [Google_Firestore_V1_Write], value: String?) in
                guard let current = try reads.document(path) else { return ([], "the order was deleted") }
                if let other = current.fields["awb"] { return ([], "the order already has awb \(other.string ?? "?")") }
                var fields: Fields = ["awb": .string(awb)]
                var mask = [FieldPath(["awb"])]
                var note: String?
                if Self.waitsForBooking(current.fields) {
                    fields["internalStatus"] = .string(OrderStage.shipped)
                    mask.append(FieldPath(["internalStatus"]))
                    if current.fields["statusTimes"]?.mapFields?[OrderStage.shipped] == nil {
                        fields["statusTimes"] = .map([OrderStage.shipped: .timestamp(micros: now)])
                        mask.append(FieldPath(["statusTimes", OrderStage.shipped]))
                    }
                } else {
                    note = "the order is \(current.fields["internalStatus"]?.string ?? "without a status") now; only the awb was stored"
                }
                return ([.set(context.name(path), fields, merge: mask, exists: true)], note)
            }
            if let outcome {
                logger.warning("booked \(context.name(path)) with \(courier) (awb \(awb)), but \(outcome)")
            }
            return awb
        }
    }

    /// The booking the courier is sent: the order's id, customer, items and shipping address.
    static func bookingRequest(_ f: Fields, id: String, reference: String, courier: String) -> BookingRequest {
        var items: [BookingRequest.Item] = []
        for item in f["items"]?.arrayElements ?? [] {
            guard let m = item.mapFields, let product = m["productId"]?.string else { continue }
            items.append(.init(productId: product, qty: m["qty"]?.count ?? 1, price: m["price"]?.number))
        }
        var address: [String: String] = [:]
        for (key, value) in f["shippingAddress"]?.mapFields ?? [:] {
            if let s = value.string {
                address[key] = s
            } else if let n = value.count {
                address[key] = String(n)
            }
        }
        return BookingRequest(
            orderId: id, reference: reference, courier: courier, customerPhone: f["customerPhone"]?.string ?? "",
            total: f["total"]?.number ?? 0, items: items, shippingAddress: address)
    }

    // MARK: queries

    /// The orders of `database` whose fields equal the given values (an indexed query).
    func orders(in database: DatabaseID, where equal: [(String, FirestoreValue)], limit: Int32? = nil) async throws
        -> [DocumentSnapshot]
    {
        var query = Google_Firestore_V1_StructuredQuery()
        var from = Google_Firestore_V1_StructuredQuery.CollectionSelector()
        from.collectionID = "orders"
        query.from = [from]
        let filters = equal.map { field, value in
            var f = Google_Firestore_V1_StructuredQuery.Filter()
            f.fieldFilter.field.fieldPath = field
            f.fieldFilter.op = .equal
            f.fieldFilter.value = value
            return f
        }
        if filters.count == 1 {
            query.where = filters[0]
        } else if filters.count > 1 {
            query.where.compositeFilter.op = .and
            query.where.compositeFilter.filters = filters
        }
        if let limit { query.limit.value = limit }
        var request = Google_Firestore_V1_RunQueryRequest()
        request.parent = database.documentsRoot
        request.structuredQuery = query
        let responses = try await requireService().runQuery(request, context: CallContext(auth: .admin))
        var out: [DocumentSnapshot] = []
        for r in responses where r.hasDocument {
            let (_, path) = try ResourceName.parse(r.document.name)
            out.append(
                DocumentSnapshot(
                    path: path, fields: r.document.fields, createTime: r.document.createTime.micros,
                    updateTime: r.document.updateTime.micros))
        }
        return out
    }
}
