import Synchronization

/// The two conversions of an order fact's stored form, remembered. Every order event reads its
/// customer's bookkeeping document and writes it back with all of the customer's orders, though
/// it changes one: without this, a customer with hundreds of orders costs the serial writer
/// hundreds of parses and encodings per event. Both maps hold exact results of the pure
/// conversions (`OrderFact(storedForm:)` and `storedForm`), so a hit answers what the conversion
/// would (facts that compare equal, such as totals of 0.0 and -0.0, share the form of the first
/// one seen, which reads back as an equal fact); each map is emptied when it reaches `limit` entries.
final class OrderFactMemo: Sendable {
    private struct Maps {
        var facts: [String: OrderFact?] = [:]
        var forms: [OrderFact: String] = [:]

        mutating func remember(_ text: String, _ fact: OrderFact?, limit: Int) {
            if facts.count >= limit { facts.removeAll(keepingCapacity: true) }
            facts[text] = .some(fact)
        }

        mutating func remember(_ fact: OrderFact, _ text: String, limit: Int) {
            if forms.count >= limit { forms.removeAll(keepingCapacity: true) }
            forms[fact] = text
        }
    }

    private let maps = Mutex(Maps())
    let limit: Int

    init(limit: Int = 20_000) { self.limit = limit }

    /// The facts of stored forms, by order id; a form that does not parse is left out.
    func facts(_ texts: [(id: String, text: String)]) -> [String: OrderFact] {
        maps.withLock { m in
            var out: [String: OrderFact] = [:]
            out.reserveCapacity(texts.count)
            for (id, text) in texts {
                let fact: OrderFact?
                if let known = m.facts[text] {
                    fact = known
                } else {
                    fact = OrderFact(storedForm: text)
                    m.remember(text, fact, limit: limit)
                }
                if let fact { out[id] = fact }
            }
            return out
        }
    }

    /// The stored forms of facts, by order id.
    func forms(_ facts: [String: OrderFact]) -> [String: String] {
        maps.withLock { m in
            facts.mapValues { fact in
                if let known = m.forms[fact] { return known }
                let text = fact.storedForm
                m.remember(fact, text, limit: limit)
                // The next event reads this form back: parse it now, once.
                if m.facts[text] == nil { m.remember(text, OrderFact(storedForm: text), limit: limit) }
                return text
            }
        }
    }
}
