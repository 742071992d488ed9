import FlintCore
@testable import FlintEngine
import Testing

@Suite("Remembered order fact conversions")
struct OrderFactMemoTests {
    static let facts = [
        OrderFact(createdAt: 1, total: 1400, source: "website", products: ["P1": 2], stages: ["shipped": 5], version: 1, integral: true),
        OrderFact(createdAt: 2, total: 0.1 + 0.2, source: nil, products: [:], stages: [:], version: 0),
        // Integral but too large to be written as an integer: its stored form reads back as a
        // double, so the form's fact differs from the fact it was made from.
        OrderFact(createdAt: 3, total: 2e15, products: ["a|b": 1], version: 2, integral: true),
    ]

    @Test func answersWhatTheConversionsWouldTheFirstTimeAndAfter() {
        let memo = OrderFactMemo()
        let facts = Dictionary(uniqueKeysWithValues: Self.facts.enumerated().map { ("o\($0.offset)", $0.element) })
        for _ in 0..<2 {
            let forms = memo.forms(facts)
            #expect(forms == facts.mapValues(\.storedForm))
            let texts = forms.map { (id: $0.key, text: $0.value) } + [(id: "bad", text: "1|x|3|||")]
            #expect(memo.facts(texts) == forms.compactMapValues { OrderFact(storedForm: $0) })
        }
        #expect(memo.facts([(id: "o2", text: Self.facts[2].storedForm)])["o2"]?.integral == false)
    }

    @Test func aFullMapIsEmptiedRatherThanGrown() {
        let memo = OrderFactMemo(limit: 2)
        for round in 0..<3 {
            let facts = Dictionary(uniqueKeysWithValues: (0..<5).map { i in
                ("o\(i)", OrderFact(createdAt: Int64(round * 10 + i), total: 1, version: 1))
            })
            let forms = memo.forms(facts)
            #expect(forms == facts.mapValues(\.storedForm))
            #expect(memo.facts(forms.map { (id: $0.key, text: $0.value) }) == facts)
        }
    }
}
