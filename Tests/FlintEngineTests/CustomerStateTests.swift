import FlintCore
@testable import FlintEngine
import Testing

@Suite("Bookkeeping stored form")
struct CustomerStateTests {
    @Test(arguments: [
        OrderFact(createdAt: 1_759_276_800_123_456, total: 1234.56, source: "whatsapp", products: ["PROD_001": 2, "PROD_002": 1],
                  stages: ["delivered": 1_759_300_000_000_000, "shipped": 1_759_290_000_000_000], version: 1_759_276_800_123_999),
        OrderFact(createdAt: -5, total: 0.1 + 0.2, source: nil, products: [:], stages: [:], version: 0),
        OrderFact(createdAt: 0, total: -1e300, source: "", products: ["a|b,c=d%e": 3, "": -4, "ünï|cødé": Int64.max],
                  stages: ["x=y": Int64.min], version: 7),
        OrderFact(createdAt: 1, total: .leastNonzeroMagnitude, source: "50%=half|, and more", products: ["%25": 1], version: 1),
    ])
    func aFactSurvivesItsStoredForm(fact: OrderFact) throws {
        #expect(OrderFact(storedForm: fact.storedForm) == fact)
        var state = CustomerState()
        state.orders = ["o|1": fact]
        #expect(CustomerState(fields: state.fields).orders == state.orders)
    }

    @Test(arguments: ["", "1|2|3|x||", "1|2|3||a||", "1|2|3||a=1,b||", "1|nan|3|||", "1|inf|3|||",
                      "1|2|3||a=x||", "1|2|3||%zz=1|", "1|2|3|=%C3%28||", "a|2|3|||", "1|2|3||||"])
    func aMalformedFactIsSkipped(text: String) {
        #expect(OrderFact(storedForm: text) == nil)
        #expect(CustomerState(fields: ["orders": .map(["o": .string(text)])]).orders.isEmpty)
    }

    @Test func factsStoredAsMapsAreStillRead() {
        let old: Fields = ["orders": .map(["o1": .map([
            "createdAt": .timestamp(micros: 10), "total": .double(5), "source": .string("website"),
            "products": .map(["P": .integer(2)]), "stages": .map(["delivered": .timestamp(micros: 20)]),
            "version": .integer(3),
        ])])]
        #expect(CustomerState(fields: old).orders["o1"]
            == OrderFact(createdAt: 10, total: 5, source: "website", products: ["P": 2], stages: ["delivered": 20], version: 3))
    }
}
