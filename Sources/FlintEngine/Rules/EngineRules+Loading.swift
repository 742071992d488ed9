import FlintCore
import Foundation

extension EngineRules {
    /// Reads and validates a rules file; its regions table is named relative to it.
    /// Errors name the file and the bad key, e.g. `rules/engine.json: approval.minTrustScore must be …`.
    public static func load(path: String) throws(FirestoreError) -> EngineRules {
        let data = try read(path)
        let directory = (path as NSString).deletingLastPathComponent
        return try parse(data, source: path) { name throws(FirestoreError) in
            let tablePath = name.hasPrefix("/") ? name : (directory as NSString).appendingPathComponent(name)
            return (try read(tablePath), tablePath)
        }
    }

    /// The built-in rules, identical to the repository's `rules/engine.json` and `rules/regions.json`.
    public static func builtIn() -> EngineRules {
        // The embedded JSON is checked by the unit tests, so this cannot fail.
        try! parse(Data(BuiltInRules.engine.utf8), source: "built-in rules") { _ in
            (Data(BuiltInRules.regions.utf8), "built-in regions")
        }
    }

    /// Parses rules JSON; `table` loads the regions table the rules name.
    static func parse(
        _ data: Data, source: String, table: (String) throws(FirestoreError) -> (Data, String)
    ) throws(FirestoreError) -> EngineRules {
        let root = try RulesObject(json: data, source: source)
        let trust = try root.object("trust")
        let tiers = try root.object("loyaltyTiers")
        let dubious = try root.object("dubious")
        let approval = try root.object("approval")
        let inactivity = try root.object("inactivity")
        let regions = try root.object("regions")
        let couriers = try root.object("couriers")
        let notifications = try root.object("notifications")
        try root.allowOnly([
            "trust", "loyaltyTiers", "dubious", "approval", "inactivity", "regions", "couriers", "notifications",
        ])

        let minScore = try trust.int("min", in: 0...1_000_000)
        let maxScore = try trust.int("max", in: minScore...1_000_000)
        let rules = EngineRules(
            trust: Trust(
                initialScore: try trust.int("initialScore", in: minScore...maxScore),
                deliveredBonus: try trust.int("deliveredBonus", in: 0...maxScore),
                refundPenalty: try trust.int("refundPenalty", in: 0...maxScore), min: minScore, max: maxScore),
            loyaltyTiers: try loyaltyTiers(tiers),
            dubious: Dubious(
                trustScoreBelow: try dubious.int("trustScoreBelow", in: 0...maxScore),
                returnRateAbove: try dubious.number("returnRateAbove", in: 0...1),
                minOrdersForReturnRate: try dubious.int("minOrdersForReturnRate", in: 0...1_000_000)),
            approval: Approval(
                minTrustScore: try approval.int("minTrustScore", in: 0...maxScore),
                maxOrderTotal: try approval.number("maxOrderTotal", in: 0...1e15),
                newCustomerOrdersBelow: try approval.int("newCustomerOrdersBelow", in: 0...1_000_000),
                newCustomerMaxOrderTotal: try approval.number("newCustomerMaxOrderTotal", in: 0...1e15)),
            inactivity: Inactivity(
                dormantAfterDays: try inactivity.number("dormantAfterDays", in: 0...100_000),
                atRiskFrequencyMultiple: try inactivity.number("atRiskFrequencyMultiple", in: 0...1000),
                runEveryMinutes: try inactivity.number("runEveryMinutes", in: 0...1_000_000)),
            regions: try regionTable(regions, table: table),
            couriers: try courierRules(couriers),
            notifications: try notificationRules(notifications))
        try trust.allowOnly(["initialScore", "deliveredBonus", "refundPenalty", "min", "max"])
        try dubious.allowOnly(["trustScoreBelow", "returnRateAbove", "minOrdersForReturnRate"])
        try approval.allowOnly(["minTrustScore", "maxOrderTotal", "newCustomerOrdersBelow", "newCustomerMaxOrderTotal"])
        try inactivity.allowOnly(["dormantAfterDays", "atRiskFrequencyMultiple", "runEveryMinutes"])
        return rules
    }

    private static func loyaltyTiers(_ o: RulesObject) throws(FirestoreError) -> LoyaltyTiers {
        let repeatFrom = try o.int("repeat", in: 1...1_000_000)
        let goldFrom = try o.int("gold", in: (repeatFrom + 1)...1_000_001)
        let platinumFrom = try o.int("platinum", in: (goldFrom + 1)...1_000_002)
        try o.allowOnly(["repeat", "gold", "platinum"])
        return LoyaltyTiers(repeatFrom: repeatFrom, goldFrom: goldFrom, platinumFrom: platinumFrom)
    }

    private static func regionTable(
        _ o: RulesObject, table: (String) throws(FirestoreError) -> (Data, String)
    ) throws(FirestoreError) -> Regions {
        let defaultRegion = try o.string("default")
        let (data, source) = try table(try o.string("table"))
        try o.allowOnly(["table", "default"])
        let zips = try RulesObject(json: data, source: source)
        var out: [String: String] = [:]
        for key in zips.keys { out[key] = try zips.string(key) }
        return Regions(table: out, defaultRegion: defaultRegion)
    }

    private static func courierRules(_ o: RulesObject) throws(FirestoreError) -> Couriers {
        let defaultCourier = try o.string("default")
        let regions = try o.object("regions")
        var out: [String: RegionCouriers] = [:]
        for name in regions.keys {
            let r = try regions.object(name)
            let serves = try r.strings("serves")
            let regionDefault = try r.string("default")
            guard serves.contains(regionDefault) else {
                throw r.error(
                    "default",
                    "must be one of the couriers the region's serves list names (\(serves.joined(separator: ", ")))")
            }
            try r.allowOnly(["default", "serves"])
            out[name] = RegionCouriers(defaultCourier: regionDefault, serves: Set(serves))
        }
        var integrations: [String: CourierIntegration] = [:]
        if o.has("integrations") {
            let all = try o.object("integrations")
            for name in all.keys {
                let i = try all.object(name)
                let baseURL = try i.string("baseUrl")
                guard CourierIntegration.isHTTPURL(baseURL) else {
                    throw i.error("baseUrl", "must be an http:// or https:// URL, not \"\(baseURL)\"")
                }
                integrations[name] = CourierIntegration(
                    baseURL: baseURL, bookingEndpoint: i.has("bookingEndpoint") ? try i.string("bookingEndpoint") : "",
                    authKey: i.has("authKey") ? try i.string("authKey") : nil, source: "\(o.source): couriers.integrations.\(name)")
                try i.allowOnly(["baseUrl", "bookingEndpoint", "authKey"])
            }
        }
        try o.allowOnly(["default", "regions", "integrations"])
        return Couriers(defaultCourier: defaultCourier, regions: out, integrations: integrations)
    }

    static let orderStages: Set<String> = [
        "approved", "ready_for_shipping", "shipped", "in_transit", "delivered",
        "return_initiated", "returned", "cancelled",
    ]

    private static func notificationRules(_ o: RulesObject) throws(FirestoreError) -> Notifications {
        let templates = try o.object("orderTemplates")
        var orderTemplates: [String: String] = [:]
        for stage in templates.keys {
            guard orderStages.contains(stage) else {
                throw templates.error(
                    stage, "is not an order stage (one of \(orderStages.sorted().joined(separator: ", ")))")
            }
            orderTemplates[stage] = try templates.string(stage)
        }
        let rules = Notifications(
            channel: try o.string("channel"), defaultLanguage: try o.string("defaultLanguage"),
            orderTemplates: orderTemplates, atRiskTemplate: try o.string("atRiskTemplate"),
            dormantTemplate: try o.string("dormantTemplate"))
        try o.allowOnly(["channel", "defaultLanguage", "orderTemplates", "atRiskTemplate", "dormantTemplate"])
        return rules
    }

    private static func read(_ path: String) throws(FirestoreError) -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FirestoreError.invalidArgument("Cannot read the engine rules file \(path).")
        }
        return data
    }
}

/// A JSON value as the rules file holds it (decoded without Foundation's number/bool ambiguity).
enum RulesJSON: Decodable {
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([RulesJSON])
    case object([String: RulesJSON])
    case null

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let d = try? c.decode(Double.self) {
            self = .number(d)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([RulesJSON].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: RulesJSON].self))
        }
    }
}

/// A JSON object of the rules file that knows its key path, so every error names the bad key.
struct RulesObject {
    let values: [String: RulesJSON]
    let path: String
    let source: String

    init(json data: Data, source: String) throws(FirestoreError) {
        guard case .object(let object)? = try? JSONDecoder().decode(RulesJSON.self, from: data) else {
            throw FirestoreError.invalidArgument("\(source): not a JSON object.")
        }
        self.values = object
        self.path = ""
        self.source = source
    }

    private init(values: [String: RulesJSON], path: String, source: String) {
        self.values = values
        self.path = path
        self.source = source
    }

    var keys: [String] { values.keys.sorted() }

    func has(_ key: String) -> Bool { values[key] != nil }

    func error(_ key: String, _ problem: String) -> FirestoreError {
        .invalidArgument("\(source): \(path)\(key) \(problem).")
    }

    private func value(_ key: String) throws(FirestoreError) -> RulesJSON {
        guard let v = values[key] else { throw error(key, "is missing") }
        return v
    }

    func object(_ key: String) throws(FirestoreError) -> RulesObject {
        guard case .object(let o) = try value(key) else { throw error(key, "must be an object") }
        return RulesObject(values: o, path: "\(path)\(key).", source: source)
    }

    func number(_ key: String, in range: ClosedRange<Double>) throws(FirestoreError) -> Double {
        guard case .number(let d) = try value(key) else { throw error(key, "must be a number") }
        guard d.isFinite, range.contains(d) else {
            throw error(
                key,
                "must lie between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound)), not \(Self.format(d))"
            )
        }
        return d
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(FirestoreError) -> Int {
        let d = try number(key, in: Double(range.lowerBound)...Double(range.upperBound))
        guard d == d.rounded() else { throw error(key, "must be a whole number, not \(Self.format(d))") }
        return Int(d)
    }

    func string(_ key: String) throws(FirestoreError) -> String {
        guard case .string(let s) = try value(key), !s.isEmpty else { throw error(key, "must be a non-empty string") }
        return s
    }

    func strings(_ key: String) throws(FirestoreError) -> [String] {
        guard case .array(let a) = try value(key), !a.isEmpty else {
            throw error(key, "must be a non-empty list of non-empty strings")
        }
        var out: [String] = []
        for element in a {
            guard case .string(let s) = element, !s.isEmpty else {
                throw error(key, "must be a non-empty list of non-empty strings")
            }
            out.append(s)
        }
        return out
    }

    /// Refuses keys the rules do not know (a misspelt threshold would otherwise be ignored).
    func allowOnly(_ known: Set<String>) throws(FirestoreError) {
        if let unknown = keys.first(where: { !known.contains($0) }) {
            throw error(unknown, "is not a known setting (expected \(known.sorted().joined(separator: ", ")))")
        }
    }

    static func format(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
    }
}
