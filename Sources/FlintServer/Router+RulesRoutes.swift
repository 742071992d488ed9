import FlintCore
import FlintREST
import FlintRules
import FlintService
import Foundation
import Hummingbird

/// The security rules endpoints: loading a project's rules as `@firebase/rules-unit-testing` does,
/// coverage, and the log of recent evaluations.
extension RouterGroup<FlintRequestContext> {
    func addRulesRoutes(_ service: FirestoreService) {
        put("projects/{project}") { request, context in
            let (project, verb) = try RulesRoutes.split(try context.parameters.require("project"))
            guard verb == "securityRules" else { throw RulesRoutes.unknown(verb) }
            return try RulesRoutes.load(try await request.jsonObject(), project: project, service: service)
        }
        get("projects/{project}") { request, context in
            let (project, verb) = try RulesRoutes.split(try context.parameters.require("project"))
            switch verb {
            case "ruleCoverage":
                return RulesRoutes.json(RulesRoutes.coverage(service, project: project))
            case "ruleCoverage.html":
                let ruleset = service.rules(project: project)
                return Response(
                    status: .ok, headers: [.contentType: "text/html; charset=UTF-8"],
                    body: .init(byteBuffer: ByteBuffer(string: ruleset.map { $0.coverage.html(source: $0.file.source) }
                        ?? "<!doctype html><p>No security rules are loaded: every request is allowed.</p>")))
            case "ruleEvaluations":
                let limit = try request.query("limit").map { v -> Int in
                    guard let n = Int(v), n > 0 else {
                        throw FirestoreError.invalidArgument("limit must be a positive integer, not \"\(v)\".")
                    }
                    return n
                } ?? 100
                return RulesRoutes.json([
                    "rulesLoaded": service.rules(project: project) != nil,
                    "evaluations": service.ruleEvaluations.recent(limit: limit).map(\.json),
                ])
            default:
                throw RulesRoutes.unknown(verb)
            }
        }
    }
}

enum RulesRoutes {
    static func split(_ target: String) throws -> (project: String, verb: String) {
        guard let colon = target.firstIndex(of: ":") else {
            throw FirestoreError(.notFound, "Unknown emulator endpoint projects/\(target).")
        }
        return (String(target[..<colon]), String(target[target.index(after: colon)...]))
    }

    static func unknown(_ verb: String) -> FirestoreError {
        FirestoreError(.notFound, "Unknown emulator endpoint :\(verb).")
    }

    static func json(_ object: Any) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{}".utf8)
        return EmulatorJSON.response(data: data)
    }

    /// `{"rules": {"files": [{"content": …, "name": …}]}}`: a compile error is INVALID_ARGUMENT
    /// naming line and column (the previous rules stay); warnings come back as `issues`.
    static func load(_ body: [String: Any], project: String, service: FirestoreService) throws -> Response {
        guard let rules = body["rules"] as? [String: Any], let files = rules["files"] as? [[String: Any]],
            let file = files.first, let content = file["content"] as? String
        else {
            throw FirestoreError.invalidArgument(
                "Expected {\"rules\": {\"files\": [{\"content\": \"rules_version = '2'; …\"}]}}.")
        }
        let fileName = file["name"] as? String ?? "firestore.rules"
        let ruleset: Ruleset
        do {
            ruleset = try Ruleset(source: content)
        } catch {
            throw FirestoreError.invalidArgument("Error compiling rules:\n\(error.description)")
        }
        service.setRules(ruleset, project: project)
        let bytes = Array(content.utf8)
        let issues: [[String: Any]] = ruleset.file.warnings.map { w in
            var end = w.position.offset
            while end < bytes.count, RulesLexer.isIdentPart(bytes[end]) { end += 1 }
            return [
                "sourcePosition": [
                    "fileName": fileName, "line": w.position.line, "column": w.position.column,
                    "currentOffset": w.position.offset, "endOffset": max(w.position.offset, end - 1),
                ] as [String: Any],
                "description": w.message, "severity": "WARNING",
            ]
        }
        return json(issues.isEmpty ? [:] : ["issues": issues])
    }

    static func coverage(_ service: FirestoreService, project: String) -> [String: Any] {
        guard let ruleset = service.rules(project: project) else { return ["rulesLoaded": false] }
        var report = ruleset.coverage.report()
        report["rulesLoaded"] = true
        report["source"] = ruleset.file.source
        return report
    }
}
