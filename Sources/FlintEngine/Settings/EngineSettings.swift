import FlintCore

/// The configuration a database's own documents give the engine, over `rules/engine.json`:
/// `autoApprovalSettings` (approval thresholds, auto-approval on or off) and
/// `courierIntegrations/{courier}` (the courier's booking API).
struct EngineSettings: Sendable, Equatable {
    /// The approval thresholds in force.
    var approval: EngineRules.Approval
    /// Auto-approval on; off, every new order waits for manual review.
    var autoApproval = true
    /// Where the approval settings came from: the rules file, or the settings document.
    var approvalSource: String
    /// Courier name → its integration (the rules file's, replaced by a `courierIntegrations` document).
    var couriers: [String: CourierIntegration] = [:]
    /// Values of the documents that could not be used (each names the document and field), logged
    /// and shown by `GET /emulator/v1/engine/settings`.
    var problems: [String] = []

    static let approvalCollection = "autoApprovalSettings"
    static let courierCollection = "courierIntegrations"
    /// The approval settings document, when the collection has one of this id.
    static let approvalDocument = "default"

    /// The rules file's settings alone.
    init(rules: EngineRules, rulesSource: String) {
        approval = rules.approval
        approvalSource = rulesSource
        couriers = rules.couriers.integrations
    }

    /// The rules file's settings overridden by the database's documents: `approvalDocs` (the
    /// `autoApprovalSettings` collection) and `courierDocs` (`courierIntegrations`).
    init(rules: EngineRules, rulesSource: String, approvalDocs: [DocumentSnapshot], courierDocs: [DocumentSnapshot]) {
        self.init(rules: rules, rulesSource: rulesSource)
        if let doc = Self.approvalSettings(in: approvalDocs) { applyApproval(doc) }
        for doc in courierDocs.sorted(by: { $0.path.lastSegment < $1.path.lastSegment }) {
            let (integration, problems) = CourierIntegration.parse(doc)
            couriers[doc.path.lastSegment] = integration
            self.problems += problems
        }
    }

    /// `autoApprovalSettings/default` when it exists, otherwise the document of the collection
    /// written last (ties: the greatest id), so a settings document added with a generated id works too.
    static func approvalSettings(in docs: [DocumentSnapshot]) -> DocumentSnapshot? {
        if let d = docs.first(where: { $0.path.lastSegment == approvalDocument }) { return d }
        return docs.max { ($0.updateTime, $0.path.lastSegment) < ($1.updateTime, $1.path.lastSegment) }
    }

    /// The approval keys the settings document may hold, each overriding the rules file's.
    static let approvalKeys = ["enabled", "minTrustScore", "maxOrderTotal", "newCustomerOrdersBelow", "newCustomerMaxOrderTotal"]

    private mutating func applyApproval(_ doc: DocumentSnapshot) {
        let f = doc.fields
        let name = doc.path.description
        approvalSource = name
        func number(_ key: String, _ range: ClosedRange<Double>, whole: Bool) -> Double? {
            guard let v = f[key] else { return nil }
            guard let d = v.number, range.contains(d), !whole || d == d.rounded() else {
                problems.append(
                    "\(name): \(key) must be a \(whole ? "whole number" : "number") from \(Int64(range.lowerBound)) to \(Int64(range.upperBound)); the rules file's value is used"
                )
                return nil
            }
            return d
        }
        if let v = f["enabled"] {
            if let b = v.bool { autoApproval = b } else { problems.append("\(name): enabled must be true or false; auto-approval stays on") }
        }
        if let d = number("minTrustScore", 0...1_000_000, whole: true) { approval.minTrustScore = Int(d) }
        if let d = number("maxOrderTotal", 0...1e15, whole: false) { approval.maxOrderTotal = d }
        if let d = number("newCustomerOrdersBelow", 0...1_000_000, whole: true) { approval.newCustomerOrdersBelow = Int(d) }
        if let d = number("newCustomerMaxOrderTotal", 0...1e15, whole: false) { approval.newCustomerMaxOrderTotal = d }
    }

    /// Whether `courier` can be booked over HTTP.
    func bookingURL(courier: String) -> String? { couriers[courier]?.bookingURL }
}

/// How the engine books a courier's shipments: `POST {baseUrl}{bookingEndpoint}`.
public struct CourierIntegration: Sendable, Equatable {
    /// The display name (`name` of the document).
    public var name: String?
    public var baseURL: String?
    public var bookingEndpoint: String
    /// Sent as `Authorization: Token {authKey}`.
    public var authKey: String?
    /// `enabled: false` (or `active: false`) stops booking through the API.
    public var enabled: Bool
    /// The rules file, or the document's name.
    public var source: String

    public init(
        name: String? = nil, baseURL: String?, bookingEndpoint: String = "", authKey: String? = nil, enabled: Bool = true,
        source: String
    ) {
        self.name = name
        self.baseURL = baseURL
        self.bookingEndpoint = bookingEndpoint
        self.authKey = authKey
        self.enabled = enabled
        self.source = source
    }

    /// The booking URL, or nil when no API is configured (or it is turned off).
    public var bookingURL: String? {
        guard enabled, let baseURL, !baseURL.isEmpty else { return nil }
        if bookingEndpoint.isEmpty { return baseURL }
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        return base + (bookingEndpoint.hasPrefix("/") ? bookingEndpoint : "/" + bookingEndpoint)
    }

    /// Whether `url` is an absolute http(s) URL with a host.
    static func isHTTPURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        for scheme in ["http://", "https://"] where lower.hasPrefix(scheme) {
            let rest = url.dropFirst(scheme.count)
            return !(rest.first.map { $0 == "/" || $0 == "?" || $0 == "#" } ?? true)
        }
        return false
    }

    /// Reads `courierIntegrations/{courier}`: `{name, api: {baseUrl, bookingEndpoint, authKey}, enabled}`
    /// as the OMS seeder writes it. A document without a usable `api.baseUrl` configures no API.
    static func parse(_ doc: DocumentSnapshot) -> (CourierIntegration, [String]) {
        let f = doc.fields
        let name = doc.path.description
        var problems: [String] = []
        var out = CourierIntegration(name: f["name"]?.string, baseURL: nil, source: name)
        for key in ["enabled", "active"] {
            guard let v = f[key] else { continue }
            if let b = v.bool { out.enabled = out.enabled && b } else { problems.append("\(name): \(key) must be true or false") }
        }
        guard let apiValue = f["api"] else { return (out, problems) }
        guard let api = apiValue.mapFields else {
            return (out, problems + ["\(name): api must be a map {baseUrl, bookingEndpoint, authKey}; no booking API is configured"])
        }
        if let v = api["baseUrl"] {
            if let url = v.string, isHTTPURL(url) {
                out.baseURL = url
            } else {
                problems.append("\(name): api.baseUrl must be an http:// or https:// URL; no booking API is configured")
            }
        }
        if let v = api["bookingEndpoint"] {
            if let s = v.string { out.bookingEndpoint = s } else { problems.append("\(name): api.bookingEndpoint must be a string") }
        }
        if let v = api["authKey"] {
            if let s = v.string { out.authKey = s.isEmpty ? nil : s } else { problems.append("\(name): api.authKey must be a string") }
        }
        return (out, problems)
    }
}
