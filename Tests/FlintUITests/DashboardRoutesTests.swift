import FlintUI
import Foundation
import HTTPTypes
import Testing

@Suite("Dashboard route")
struct DashboardRoutesTests {
    let db = "projects/crm/databases/(default)"

    func customer(_ segment: String, _ tier: String, _ trust: Int, _ region: String, spent: Int, value: Double, extra: String = "")
        -> String
    {
        """
        {"customerSegment": {"stringValue": "\(segment)"}, "loyaltyTier": {"stringValue": "\(tier)"},
         "trustScore": {"integerValue": "\(trust)"}, "region": {"stringValue": "\(region)"},
         "totalSpent": {"integerValue": "\(spent)"}, "lifetimeValue": {"doubleValue": \(value)}\(extra)}
        """
    }

    @Test func numbersAreAggregatesWithTheFiltersThatProduceThem() async throws {
        try await withPage(DashboardDimensions(regions: ["Delhi-North", "Kochi", "Pune-West"], couriers: ["delhivery", "bluedart"])) {
            client in
            try await client.commit(
                db,
                [
                    ("customers/1", customer("Active", "gold", 85, "Delhi-North", spent: 1000, value: 900.5)),
                    ("customers/2", customer("Active", "new", 50, "Delhi-North", spent: 200, value: 200)),
                    ("customers/3", customer("Dormant", "repeat", 25, "Kochi", spent: 50, value: 10, extra: #", "isDubious": {"booleanValue": true}"#)),
                    ("customers/4", customer("At Risk", "new", 19, "Atlantis", spent: 5, value: 5,
                        extra: #", "isDubious": {"booleanValue": true}, "blacklistReason": {"stringValue": "chargebacks"}"#)),
                    ("orders/a", #"{"internalStatus": {"stringValue": "created_pending"}, "approval": {"mapValue": {"fields": {"status": {"stringValue": "manual_review"}}}}}"#),
                    ("orders/b", #"{"internalStatus": {"stringValue": "ready_for_shipping"}, "courier": {"stringValue": "delhivery"}, "approval": {"mapValue": {"fields": {"status": {"stringValue": "auto_approved"}}}}}"#),
                    ("orders/c", #"{"internalStatus": {"stringValue": "delivered"}, "courier": {"stringValue": "delhivery"}}"#),
                    ("orders/d", #"{"internalStatus": {"stringValue": "teleported"}}"#),
                    ("notifications/n1", #"{"status": {"stringValue": "queued"}}"#),
                ])
            let reply = try await client.send(.get, "/emulator/v1/\(db)/dashboard")
            #expect(reply.status == 200)
            let r = reply.object
            #expect(r["customers"] as? Int == 4 && r["orders"] as? Int == 4 && r["notifications"] as? Int == 1)
            func counts(_ key: String) -> [String: Int] {
                Dictionary(uniqueKeysWithValues: (r[key] as? [[String: Any]] ?? []).map { ($0["label"] as! String, $0["count"] as! Int) })
            }
            #expect(counts("segments") == ["Active": 2, "Dormant": 1, "At Risk": 1])
            #expect(counts("tiers") == ["new": 2, "repeat": 1, "gold": 1, "platinum": 0])
            #expect(counts("trustScores") == ["0–19": 1, "20–39": 1, "40–59": 1, "60–79": 0, "80+": 1])
            #expect(counts("flags") == ["dubious": 2, "blacklisted": 1, "awaiting review": 1])
            #expect(counts("orderStatuses")["created_pending"] == 1 && counts("orderStatuses")["delivered"] == 1)
            #expect(counts("couriers") == ["delhivery": 2, "bluedart": 0])
            #expect(counts("approvals") == ["auto_approved": 1, "manual_review": 1])
            #expect(counts("notificationStatuses")["queued"] == 1)
            // Regions without customers are left out; what no listed name covers is counted apart.
            let regions = try #require(r["regions"] as? [[String: Any]])
            #expect(regions.map { $0["label"] as? String } == ["Delhi-North", "Kochi"])
            #expect(regions[0]["sums"] as? [String: Double] == ["totalSpent": 1200, "lifetimeValue": 1100.5])
            #expect(
                r["unlisted"] as? [String: Int] == [
                    "segments": 0, "tiers": 0, "regions": 1, "orderStatuses": 1, "couriers": 2, "notificationStatuses": 0,
                ])
            // Each number names the query behind it.
            let review = try #require((r["flags"] as? [[String: Any]])?.first { $0["label"] as? String == "awaiting review" })
            #expect(review["collection"] as? String == "orders")
            let filters = try #require(review["filters"] as? [[String: Any]])
            #expect(filters.map { $0["field"] as? String } == ["approval.status", "internalStatus"])
            #expect(filters.first?["value"] as? [String: String] == ["stringValue": "manual_review"])
            let trust = try #require((r["trustScores"] as? [[String: Any]])?.first)
            #expect((trust["filters"] as? [[String: Any]])?.map { $0["op"] as? String } == ["GREATER_THAN_OR_EQUAL", "LESS_THAN"])
        }
    }

    @Test func anEmptyDatabaseAnswersZeros() async throws {
        try await withPage { client in
            let r = try await client.send(.get, "/emulator/v1/projects/none/databases/(default)/dashboard").object
            #expect(r["customers"] as? Int == 0 && r["orders"] as? Int == 0)
            #expect((r["segments"] as? [[String: Any]])?.allSatisfy { $0["count"] as? Int == 0 } == true)
            #expect(r["regions"] as? [[String: Any]] == nil || (r["regions"] as? [[String: Any]])?.isEmpty == true)
        }
    }
}
