import FlintCore
import Testing

@testable import FlintEngine

/// Integer inputs stay integers; money, rates and day counts are rounded to 2 decimals.
@Suite struct ValueTypesTests {
    @Test func moneySummedFromIntegersIsAnInteger() {
        #expect(FirestoreValue.money(1400, integral: true) == .integer(1400))
        #expect(FirestoreValue.money(1400, integral: false) == .double(1400))
        #expect(FirestoreValue.money(10.005 + 20, integral: false) == .double(round2(30.005)))
        #expect(FirestoreValue.money(1e300, integral: true) == .double(1e300))
    }

    @Test func oneFractionalAmountMakesTheSumsDoubles() {
        let whole = ["a": OrderFact(createdAt: t0, total: 1300, integral: true),
                     "b": OrderFact(createdAt: t0 + day, total: 100, integral: true)]
        #expect(metrics(whole).integralMoney)
        var mixed = whole
        mixed["c"] = OrderFact(createdAt: t0 + 2 * day, total: 99.5)
        #expect(!metrics(mixed).integralMoney)
        let loaded = ProfileBaseline(profile: ["totalSpent": .double(1400.5)])
        #expect(!metrics(whole, baseline: loaded).integralMoney)
        #expect(metrics(whole, baseline: ProfileBaseline(profile: ["totalSpent": .integer(1400)])).integralMoney)
    }

    @Test func anIntegerTotalIsReadAsIntegral() throws {
        let integer = SnapshotFixture.make(
            ["customerPhone": .string("1"), "total": .integer(100)], create: t0, update: t0)
        let double = SnapshotFixture.make(
            ["customerPhone": .string("1"), "total": .double(100)], create: t0, update: t0)
        #expect(try OrderSnapshot(integer, time: { $0 })?.integral == true)
        #expect(try OrderSnapshot(double, time: { $0 })?.integral == false)
        #expect(try OrderSnapshot(integer, time: { $0 })?.profileKey != OrderSnapshot(double, time: { $0 })?.profileKey)
    }

    @Test func integralityIsKeptInTheBookkeeping() {
        let fact = OrderFact(createdAt: t0, total: 1400, integral: true)
        #expect(fact.storedForm.hasPrefix("\(t0)|1400|"))
        #expect(OrderFact(storedForm: fact.storedForm) == fact)
        let double = OrderFact(createdAt: t0, total: 1400)
        #expect(OrderFact(storedForm: double.storedForm) == double)
        var state = CustomerState()
        state.baseline = ProfileBaseline(profile: ["totalSpent": .integer(1400), "lifetimeValue": .integer(1400)])
        #expect(CustomerState(fields: state.fields).baseline?.integralMoney == true)
        state.baseline = ProfileBaseline(profile: ["totalSpent": .double(1400)])
        #expect(CustomerState(fields: state.fields).baseline?.integralMoney == false)
    }
}
