/// One expression on its own, outside any rules file: for tests and tools.
public enum RulesExpression {
    /// Parses and evaluates `source` with `variables` in scope; an evaluation error is thrown.
    public static func evaluate(
        _ source: String, variables: [String: RuleValue] = [:], reader: (any RulesDocumentReader)? = nil
    ) throws -> (value: RuleValue, debug: [String]) {
        var parser = try RulesParser(source)
        let e = try parser.expression()
        guard parser.token.kind == .end else { throw parser.unexpected("end of input") }
        let evaluator = RulesEvaluator(
            scope: variables.map { ($0.key, $0.value) }, functions: [:], reader: reader, database: "(default)",
            accessLimit: 10, recordCoverage: false)
        return (try evaluator.evaluate(e), evaluator.debugOutput)
    }
}
