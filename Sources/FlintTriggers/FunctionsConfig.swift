import FlintCore
import Foundation

/// External functions given at start (`--functions FILE`), a JSON file:
///
///     {"functions": [{"name": "onOrder", "eventType": "written", "document": "orders/{orderId}",
///                     "endpoint": "http://127.0.0.1:8081/", "format": "cloudEvent", "retry": true}]}
///
/// `eventType` is a full type (`google.cloud.firestore.document.v1.created`,
/// `providers/cloud.firestore/eventTypes/document.create`) or short: `created`/`updated`/
/// `deleted`/`written` (2nd gen) or `create`/`update`/`delete`/`write` (1st gen). `format` is
/// `cloudEvent` (default for 2nd gen) or `legacy` (default for 1st gen); `database` defaults to
/// `(default)`; without `project` every project is watched; `retry` defaults to false.
public enum FunctionsConfig {
    struct File: Decodable {
        var functions: [Entry]
    }

    struct Entry: Decodable {
        var name: String
        var eventType: String
        var document: String
        var endpoint: String
        var database: String?
        var project: String?
        var format: String?
        var retry: Bool?
    }

    public static func load(path: String) throws -> [Trigger] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FirestoreError.invalidArgument("Cannot read the functions file \(path).")
        }
        return try parse(data, source: path)
    }

    public static func parse(_ data: Data, source: String = "functions file") throws -> [Trigger] {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw FirestoreError.invalidArgument("\(source): \(where_(context.codingPath)) lacks \"\(key.stringValue)\".")
        } catch let DecodingError.typeMismatch(_, context) {
            throw FirestoreError.invalidArgument("\(source): \(where_(context.codingPath)) has the wrong type.")
        } catch {
            throw FirestoreError.invalidArgument("\(source) is not valid JSON of the form {\"functions\": [...]}.")
        }
        var seen = Set<String>()
        return try file.functions.enumerated().map { index, e in
            func bad(_ why: String) -> FirestoreError { .invalidArgument("\(source): function \(index + 1) (\"\(e.name)\"): \(why)") }
            guard seen.insert(e.name).inserted else { throw bad("the name is used twice") }
            guard let url = URL(string: e.endpoint), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw bad("endpoint \"\(e.endpoint)\" is not an http(s) URL")
            }
            let type = expand(e.eventType)
            do {
                let generation = try TriggerEventType(type).generation
                let format: Trigger.PayloadFormat
                switch e.format {
                case nil: format = generation == .second ? .cloudEvent : .legacy
                case "cloudEvent": format = .cloudEvent
                case "legacy": format = .legacy
                case let other?: throw bad("format \"\(other)\" is neither cloudEvent nor legacy")
                }
                return try Trigger(
                    key: e.name, eventType: type, document: e.document, project: e.project,
                    database: e.database ?? "(default)", target: .http(url: e.endpoint, format: format), retry: e.retry ?? false)
            } catch let error as FirestoreError where !error.message.hasPrefix(source) {
                throw bad(error.message)
            }
        }
    }

    static func expand(_ type: String) -> String {
        switch type {
        case "created", "updated", "deleted", "written": "google.cloud.firestore.document.v1." + type
        case "create", "update", "delete", "write": "providers/cloud.firestore/eventTypes/document." + type
        default: type
        }
    }

    private static func where_(_ path: [any CodingKey]) -> String {
        let parts = path.map { $0.intValue.map { "[\($0 + 1)]" } ?? $0.stringValue }
        return parts.isEmpty ? "the file" : parts.joined(separator: " ")
    }
}
