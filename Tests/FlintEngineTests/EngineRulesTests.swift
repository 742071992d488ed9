import FlintCore
import Foundation
import Testing

@testable import FlintEngine

/// The repository's rules directory.
let rulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("rules").path

/// Parses `engine` JSON (with the repository's regions table), reporting the error message if any.
func parseRules(_ engine: String, regions: String = BuiltInRules.regions) -> Result<EngineRules, FirestoreError> {
    do {
        return .success(
            try EngineRules.parse(Data(engine.utf8), source: "test.json") { _ in (Data(regions.utf8), "regions.json") })
    } catch {
        return .failure(error)
    }
}

/// The built-in rules JSON with one edit applied to its object form.
func editedRules(_ edit: (inout [String: Any]) -> Void) -> String {
    var object = try! JSONSerialization.jsonObject(with: Data(BuiltInRules.engine.utf8)) as! [String: Any]
    edit(&object)
    return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
}

func errorMessage(_ r: Result<EngineRules, FirestoreError>) -> String? {
    if case .failure(let e) = r { return e.message }
    return nil
}

@Suite struct EngineRulesTests {
    @Test func builtInRulesAreTheRepositoryFiles() throws {
        let fromFile = try EngineRules.load(path: rulesDirectory + "/engine.json")
        #expect(fromFile == EngineRules.builtIn())
        let engineText = try String(contentsOfFile: rulesDirectory + "/engine.json", encoding: .utf8)
        let regionsText = try String(contentsOfFile: rulesDirectory + "/regions.json", encoding: .utf8)
        #expect(engineText == BuiltInRules.engine + "\n")
        #expect(regionsText == BuiltInRules.regions + "\n")
    }

    @Test func builtInRulesFollowTheBlueprint() {
        let rules = EngineRules.builtIn()
        #expect(rules.loyaltyTiers == .init(repeatFrom: 3, goldFrom: 11, platinumFrom: 26))
        #expect(rules.trust.min == 0 && rules.trust.max == 100)
        #expect(rules.region(zip: "110009") == ("Delhi-North", true))
        #expect(rules.region(zip: "SW1A 1AA") == ("Unmapped", false))
    }

    @Test(arguments: [
        ("110009", "Delhi-North"), ("110017", "Delhi-South"), ("110001", "Delhi"), ("122001", "Haryana"),
        ("403001", "Goa"), ("600001", "Tamil Nadu"), ("605001", "Puducherry"), ("799001", "Tripura"),
        ("291001", "North"), ("550001", "South"), ("999999", "Army Postal Service"), ("110 009", "Delhi-North"),
    ])
    func aPinTakesTheRegionOfItsLongestPrefix(zip: String, region: String) {
        #expect(EngineRules.builtIn().region(zip: zip) == (region, true))
    }

    @Test func everyIndianPinHasARegion() {
        let rules = EngineRules.builtIn()
        for first in 1...9 {
            for rest in stride(from: 0, to: 100_000, by: 997) {
                let pin = String(first) + String(repeating: "0", count: 5 - String(rest).count) + String(rest)
                #expect(rules.region(zip: pin).known, "\(pin)")
            }
        }
    }

    @Test(arguments: ["012345", "11000", "1100099", "SW1A 1AA", "", "11000a"])
    func aZipThatIsNoPinIsUnmapped(zip: String) {
        #expect(EngineRules.builtIn().region(zip: zip) == ("Unmapped", false))
    }

    @Test func aMissingKeyIsNamed() {
        let json = editedRules { o in
            var approval = o["approval"] as! [String: Any]
            approval["minTrustScore"] = nil
            o["approval"] = approval
        }
        #expect(errorMessage(parseRules(json)) == "test.json: approval.minTrustScore is missing.")
    }

    @Test func aWrongTypeIsNamed() {
        let json = editedRules { o in
            var trust = o["trust"] as! [String: Any]
            trust["deliveredBonus"] = "two"
            o["trust"] = trust
        }
        #expect(errorMessage(parseRules(json)) == "test.json: trust.deliveredBonus must be a number.")
    }

    @Test func aBooleanIsNotANumber() {
        let json = editedRules { o in
            var d = o["dubious"] as! [String: Any]
            d["returnRateAbove"] = true
            o["dubious"] = d
        }
        #expect(errorMessage(parseRules(json)) == "test.json: dubious.returnRateAbove must be a number.")
    }

    @Test func anOutOfRangeValueIsNamed() {
        let json = editedRules { o in
            var d = o["dubious"] as! [String: Any]
            d["returnRateAbove"] = 1.5
            o["dubious"] = d
        }
        #expect(
            errorMessage(parseRules(json)) == "test.json: dubious.returnRateAbove must lie between 0 and 1, not 1.5.")
    }

    @Test func aFractionalCountIsRefused() {
        let json = editedRules { o in
            var a = o["approval"] as! [String: Any]
            a["newCustomerOrdersBelow"] = 2.5
            o["approval"] = a
        }
        #expect(
            errorMessage(parseRules(json))
                == "test.json: approval.newCustomerOrdersBelow must be a whole number, not 2.5.")
    }

    @Test func anUnknownKeyIsNamed() {
        let json = editedRules { o in
            var a = o["approval"] as! [String: Any]
            a["minTrust"] = 10
            o["approval"] = a
        }
        #expect(
            errorMessage(parseRules(json))?.hasPrefix("test.json: approval.minTrust is not a known setting") == true)
    }

    @Test func tiersMustIncrease() {
        let json = editedRules { o in o["loyaltyTiers"] = ["repeat": 3, "gold": 3, "platinum": 26] }
        #expect(errorMessage(parseRules(json)) == "test.json: loyaltyTiers.gold must lie between 4 and 1000001, not 3.")
    }

    @Test func aRegionDefaultCourierMustServeTheRegion() {
        let json = editedRules { o in
            o["couriers"] = [
                "default": "indiapost", "regions": ["Kochi": ["default": "amazon", "serves": ["indiapost"]]],
            ]
        }
        #expect(
            errorMessage(parseRules(json))?.hasPrefix("test.json: couriers.regions.Kochi.default must be one of")
                == true)
    }

    @Test func aTemplateForAnUnknownStageIsNamed() {
        let json = editedRules { o in
            var n = o["notifications"] as! [String: Any]
            n["orderTemplates"] = ["delivred": "x"]
            o["notifications"] = n
        }
        #expect(
            errorMessage(parseRules(json))?.hasPrefix(
                "test.json: notifications.orderTemplates.delivred is not an order stage") == true)
    }

    @Test func aBadRegionsTableIsNamed() {
        #expect(
            errorMessage(parseRules(BuiltInRules.engine, regions: "{\"110009\": 5}"))
                == "regions.json: 110009 must be a non-empty string.")
        #expect(errorMessage(parseRules(BuiltInRules.engine, regions: "[1]")) == "regions.json: not a JSON object.")
    }

    @Test func aMissingFileIsNamed() {
        #expect(throws: FirestoreError.invalidArgument("Cannot read the engine rules file /nonexistent/engine.json.")) {
            try EngineRules.load(path: "/nonexistent/engine.json")
        }
    }
}
