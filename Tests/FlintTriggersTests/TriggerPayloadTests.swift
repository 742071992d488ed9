import FlintCore
import FlintProto
import FlintStore
import FlintTriggers
import Foundation
import Testing

@Suite("Trigger payloads")
struct TriggerPayloadTests {
    let database = DatabaseID(project: "demo")
    let path = ResourcePath(["orders", "o1"])

    func doc(_ fields: Fields, _ t: Int64) -> DocumentSnapshot {
        DocumentSnapshot(path: path, fields: fields, createTime: 1_700_000_000_000_001, updateTime: t)
    }

    @Test func cloudEventBodyDecodesBackToTheSnapshots() throws {
        let before = doc(["total": .integer(100)], 1_700_000_000_000_001)
        let after = doc(["total": .integer(120), "tags": .array([.string("a")])], 1_700_000_000_500_000)
        let delivery = try TriggerPayload.cloudEvent(
            eventID: "e1", eventType: "google.cloud.firestore.document.v1.updated", database: database, path: path,
            time: after.updateTime, before: before, after: after, updateMask: [FieldPath(["total"]), FieldPath(["tags"])])
        let data = try Google_Events_Cloud_Firestore_V1_DocumentEventData(serializedBytes: delivery.body)
        #expect(data.value.name == "projects/demo/databases/(default)/documents/orders/o1")
        #expect(data.value.fields["total"]?.integerValue == 120)
        #expect(data.value.fields["tags"]?.arrayValue.values.first?.stringValue == "a")
        #expect(data.oldValue.fields["total"]?.integerValue == 100)
        #expect(data.value.updateTime.seconds == 1_700_000_000 && data.value.updateTime.nanos == 500_000_000)
        #expect(data.updateMask.fieldPaths == ["total", "tags"])
    }

    @Test func cloudEventCarriesEveryHeaderWithTimesEndingInZ() throws {
        let delivery = try TriggerPayload.cloudEvent(
            eventID: "e2", eventType: "google.cloud.firestore.document.v1.created", database: database, path: path,
            time: 1_700_000_000_123_456, before: nil, after: doc([:], 1_700_000_000_123_456), updateMask: nil)
        let headers = Dictionary(uniqueKeysWithValues: delivery.headers.map { ($0.name, $0.value) })
        #expect(headers["ce-specversion"] == "1.0")
        #expect(headers["ce-id"] == "e2")
        #expect(headers["ce-type"] == "google.cloud.firestore.document.v1.created")
        #expect(headers["ce-source"] == "//firestore.googleapis.com/projects/demo/databases/(default)")
        #expect(headers["ce-subject"] == "documents/orders/o1")
        #expect(headers["ce-time"] == "2023-11-14T22:13:20.123456Z")
        #expect(headers["ce-document"] == "orders/o1")
        #expect(headers["ce-database"] == "(default)")
        #expect(headers["ce-namespace"] == "(default)")
        #expect(headers["ce-project"] == "demo")
        #expect(headers["ce-location"] != nil)
        #expect(headers["Content-Type"] == "application/protobuf")
    }

    @Test func withAuthContextEventsSayWhoWroteAndOthersDoNot() throws {
        func headers(_ auth: EventAuth?) throws -> [String: String] {
            let delivery = try TriggerPayload.cloudEvent(
                eventID: "e", eventType: "google.cloud.firestore.document.v1.created.withAuthContext", database: database,
                path: path, time: 5, before: nil, after: doc([:], 5), updateMask: nil, auth: auth)
            return Dictionary(uniqueKeysWithValues: delivery.headers.map { ($0.name, $0.value) })
        }
        let user = try headers(EventAuth(.user(UserToken(uid: "alice", claims: [:]))))
        #expect(user["ce-authtype"] == "app_user" && user["ce-authid"] == "alice")
        let admin = try headers(EventAuth(.admin))
        #expect(admin["ce-authtype"] == "admin" && admin["ce-authid"] == nil)
        #expect(try headers(EventAuth(.unauthenticated))["ce-authtype"] == "unauthenticated")
        #expect(try headers(EventAuth(type: "unknown"))["ce-authtype"] == "unknown")
        let plain = try headers(nil)
        #expect(plain["ce-authtype"] == nil && plain["ce-authid"] == nil)
        #expect(try TriggerEventType("google.cloud.firestore.document.v1.written.withAuthContext").withAuthContext)
        #expect(try !TriggerEventType("google.cloud.firestore.document.v1.written").withAuthContext)
    }

    @Test func createHasNoOldValueAndDeleteHasNoValue() throws {
        let created = try TriggerPayload.cloudEvent(
            eventID: "e", eventType: "google.cloud.firestore.document.v1.created", database: database, path: path,
            time: 5, before: nil, after: doc(["a": .integer(1)], 5), updateMask: nil)
        let c = try Google_Events_Cloud_Firestore_V1_DocumentEventData(serializedBytes: created.body)
        #expect(c.hasValue && !c.hasOldValue)
        let deleted = try TriggerPayload.cloudEvent(
            eventID: "e", eventType: "google.cloud.firestore.document.v1.deleted", database: database, path: path,
            time: 6, before: doc(["a": .integer(1)], 5), after: nil, updateMask: nil)
        let d = try Google_Events_Cloud_Firestore_V1_DocumentEventData(serializedBytes: deleted.body)
        #expect(!d.hasValue && d.hasOldValue)
    }

    @Test func legacyEnvelopeHasTheFirstGenerationShape() throws {
        let delivery = try TriggerPayload.legacyEvent(
            eventID: "e3", eventType: "providers/cloud.firestore/eventTypes/document.update", database: database, path: path,
            time: 1_700_000_000_000_000, before: doc(["n": .integer(1)], 1), after: doc(["n": .integer(2)], 2),
            updateMask: [FieldPath(["n"])])
        let json = try #require(try JSONSerialization.jsonObject(with: delivery.body) as? [String: Any])
        let data = try #require(json["data"] as? [String: Any])
        let context = try #require(json["context"] as? [String: Any])
        let value = try #require(data["value"] as? [String: Any])
        #expect(((value["fields"] as? [String: Any])?["n"] as? [String: Any])?["integerValue"] as? String == "2")
        #expect(data["oldValue"] != nil)
        #expect((data["updateMask"] as? [String: Any])?["fieldPaths"] as? [String] == ["n"])
        #expect(context["eventId"] as? String == "e3")
        #expect(context["timestamp"] as? String == "2023-11-14T22:13:20.000000Z")
        #expect((context["resource"] as? [String: Any])?["service"] as? String == "firestore.googleapis.com")
        #expect((context["resource"] as? [String: Any])?["name"] as? String == "projects/demo/databases/(default)/documents/orders/o1")
        // Slashes unescaped, as the official emulator writes them.
        #expect(String(decoding: delivery.body, as: UTF8.self).contains("\"projects/demo/databases/(default)/documents/orders/o1\""))
    }
}
