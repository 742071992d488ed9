import FlintCore
import FlintServer
import FlintService
import FlintTriggers
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The Customer Intelligence Engine: keeps `customers/{phone}` profiles true as orders are
/// written, approves or holds new orders, picks couriers and queues WhatsApp notifications —
/// documents in, documents out, through in-process triggers.
///
/// Every handler reads the customer, its bookkeeping (`customers/{phone}/engine/state`) and the
/// order inside one serial write transaction (`TriggerContext.update`) and recomputes the profile
/// from per-order facts, so repeated, reordered and concurrent events converge to the same documents.
public final class CustomerEngine: FlintExtension, Sendable {
    public let rules: EngineRules
    /// Where the rules came from (a path, or "built-in rules").
    public let rulesSource: String
    let clock = EngineClock()
    let logger: Logger
    let service = Mutex<FirestoreService?>(nil)
    /// Databases that had engine events: the scheduled inactivity job visits them.
    let databases = Mutex<Set<DatabaseID>>([])
    /// Each database's settings from `autoApprovalSettings` and `courierIntegrations`.
    let settingsCache = SettingsCache()
    /// One booking per order at a time.
    let bookingLocks = KeyedLock()
    let courierClient = CourierClient()

    public init(rules: EngineRules, rulesSource: String, logger: Logger = Logger(label: "flint.engine")) {
        self.rules = rules
        self.rulesSource = rulesSource
        self.logger = logger
    }

    public func install(on runtime: TriggerRuntime) throws -> [any Service] {
        service.withLock { $0 = runtime.service }
        try runtime.on(nil, "orders/{orderId}", key: "engine.orders") { [self] event, context in
            try await handleOrder(event, context)
        }
        // Only profile changes the handler has work for make events: the engine's own profile
        // update for every order would otherwise queue a run that does nothing.
        try runtime.on(
            nil, "customers/{phone}", key: "engine.customers",
            accepts: { [weak self] change in self?.customerNeedsWork(change) ?? true }
        ) { [self] event, context in
            try await handleCustomer(event, context)
        }
        // Booking: only orders waiting in ready_for_shipping whose courier may have an API make
        // events; a failed booking is retried with the dispatcher's backoff.
        try runtime.on(
            nil, "orders/{orderId}", key: "engine.courierBooking", retry: true,
            accepts: { [weak self] change in self?.mayBook(change) ?? false }
        ) { [self] event, context in
            try await handleBooking(event, context)
        }
        // A courier integration written with an API books the orders already waiting for it.
        try runtime.on(nil, "\(EngineSettings.courierCollection)/{courier}", key: "engine.courierIntegrations", retry: true) {
            [self] event, context in
            try await handleIntegration(event, context)
        }
        runtime.service.observeCommits { [weak self] record in self?.settingsMayHaveChanged(record) }
        logger.info("Customer Intelligence Engine on (\(rulesSource)).")
        let minutes = rules.inactivity.runEveryMinutes
        return minutes > 0 ? [EngineScheduler(engine: self, every: .milliseconds(Int64(minutes * 60_000)))] : []
    }

    /// The bookkeeping maps are read only by the engine, by document name, and grow with every
    /// order: like a production deployment's `fieldOverrides`, they are exempt from indexing.
    public var indexExemptions: IndexExemptions {
        IndexExemptions([EnginePaths.bookkeepingGroup: CustomerState.storedFields.map { FieldPath([$0]) }])
    }

    func remember(_ database: DatabaseID) {
        _ = databases.withLock { $0.insert(database) }
    }

    func requireService() throws -> FirestoreService {
        guard let s = service.withLock({ $0 }) else {
            throw FirestoreError(.failedPrecondition, "The engine is not installed on a running server.")
        }
        return s
    }
}

/// Where the engine keeps its documents.
enum EnginePaths {
    static func customer(_ phone: String) -> ResourcePath { ResourcePath(["customers", phone]) }
    /// Per-customer bookkeeping: order facts, the profile's baseline, the trust ledger, inactivity.
    static func state(_ phone: String) -> ResourcePath { ResourcePath(["customers", phone, bookkeepingGroup, "state"]) }
    /// The collection id of the bookkeeping documents.
    static let bookkeepingGroup = "engine"
    static func order(_ id: String) -> ResourcePath { ResourcePath(["orders", id]) }
    static func notification(_ id: String) -> ResourcePath { ResourcePath(["notifications", id]) }
    /// `{last: n}`: the last customer number handed out (CUS_0001, CUS_0002, …).
    static let customerSequence = ResourcePath(["engine", "customerSequence"])
    static let customers = ResourcePath(["customers"])
    static let orders = ResourcePath(["orders"])
    static let approvalSettings = ResourcePath([EngineSettings.approvalCollection])
    static let courierIntegrations = ResourcePath([EngineSettings.courierCollection])
}
