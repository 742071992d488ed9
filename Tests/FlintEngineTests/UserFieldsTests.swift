import FlintCore
import Testing

@testable import FlintEngine

/// What others write into a profile the engine keeps: later interactions, an admin's dubious flag.
@Suite struct UserFieldsTests {
    @Test func aLaterInteractionWrittenByOthersStays() {
        let bot: Fields = ["lastInteractionSource": .string("ai_agent"), "lastInteractionAt": .timestamp(micros: t0 + day)]
        #expect(OrderTransaction.interaction(source: "whatsapp", at: t0, over: bot).isEmpty)
        let later = OrderTransaction.interaction(source: "website", at: t0 + 2 * day, over: bot)
        #expect(later["lastInteractionSource"]?.string == "website")
        #expect(later["lastInteractionAt"]?.micros == t0 + 2 * day)
        #expect(OrderTransaction.interaction(source: "website", at: t0, over: [:])["lastInteractionAt"]?.micros == t0)
        #expect(OrderTransaction.interaction(source: nil, at: nil, over: [:]).isEmpty)
    }

    @Test func anAdminsDubiousFlagStandsUntilAnAdminClearsIt() {
        var mark = DubiousMark(written: false)
        mark.observe(true, ruleSays: false)
        #expect(mark.admin)
        #expect(rules.corrections(of: ["isDubious": .boolean(true)], adminDubious: mark.admin).isEmpty)
        mark.written = true
        mark.observe(true, ruleSays: false)  // later events: the flag stays
        #expect(mark.admin)
        mark.observe(false, ruleSays: false)  // the admin clears it
        #expect(!mark.admin)
        mark.written = false
        mark.observe(nil, ruleSays: false)
        #expect(!mark.admin)
    }

    @Test func aTrueTheEngineWroteIsNotAnAdminsFlag() {
        var mark = DubiousMark(written: true)
        mark.observe(true, ruleSays: false)  // the thresholds no longer hold: the engine may clear it
        #expect(!mark.admin)
        #expect(rules.corrections(of: ["isDubious": .boolean(true)], adminDubious: mark.admin)["isDubious"]?.bool == false)
        var unrecorded = DubiousMark()
        unrecorded.observe(true, ruleSays: true)  // no record, and the rules explain it
        #expect(!unrecorded.admin)
        unrecorded.observe(true, ruleSays: false)  // no record, and nothing explains it: an admin's
        #expect(unrecorded.admin)
    }

    @Test func anAdminsFlagSurvivesTheBookkeepingDocument() {
        var state = CustomerState()
        state.dubious = DubiousMark(written: true, admin: true)
        #expect(CustomerState(fields: state.fields).dubious == state.dubious)
    }
}

/// savedAddresses: a new shipping address is appended once.
@Suite struct AddressTests {
    let home: FirestoreValue = .map(["label": .string("Home"), "street": .string("23 Model Town"), "zip": .string("110009")])
    let office: FirestoreValue = .map(["label": .string("Office"), "street": .string("9 MG Road"), "zip": .string("560034")])

    @Test func aNewAddressIsAppended() {
        let saved = Address.saving(office, in: ["defaultAddress": home])
        #expect(saved == .array([office]))
        #expect(Address.saving(home, in: ["savedAddresses": .array([office])]) == .array([office, home]))
    }

    @Test func aKnownAddressIsNotSavedTwice() {
        let relabelled: FirestoreValue = .map([
            "label": .string("Flat"), "street": .string(" 23 model town "), "zip": .string("110009"),
        ])
        #expect(Address.saving(relabelled, in: ["defaultAddress": home]) == nil)
        #expect(Address.saving(office, in: ["defaultAddress": home, "savedAddresses": .array([office])]) == nil)
        #expect(Address.saving(.map([:]), in: [:]) == nil)
        #expect(Address.saving(office, in: ["savedAddresses": .string("by hand")]) == nil)
    }
}
