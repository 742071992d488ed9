import FlintCore
import FlintProto
import Foundation
import SwiftProtobuf

/// One event as it is delivered over HTTP.
public struct TriggerDelivery: Sendable {
    public var headers: [(name: String, value: String)]
    public var body: Data
}

/// The request bodies Cloud Functions receive for a Firestore document event.
public enum TriggerPayload {
    /// 2nd gen, as production sends it: a binary-mode CloudEvent whose body is a serialized
    /// `google.events.cloud.firestore.v1.DocumentEventData`, with every `ce-*` header (`base64Body`:
    /// the body as base64 text, as firebase-tools' Functions emulator expects it).
    public static func cloudEvent(
        eventID: String, eventType: String, database: DatabaseID, path: ResourcePath, time: Int64,
        before: DocumentSnapshot?, after: DocumentSnapshot?, updateMask: [FieldPath]?, location: String = "us-central1",
        auth: EventAuth? = nil, base64Body: Bool = false
    ) throws -> TriggerDelivery {
        var data = Google_Events_Cloud_Firestore_V1_DocumentEventData()
        if let after { data.value = try eventDocument(after, database) }
        if let before { data.oldValue = try eventDocument(before, database) }
        if let updateMask { data.updateMask.fieldPaths = updateMask.map(\.description) }
        var headers: [(String, String)] = [
            ("Content-Type", "application/protobuf"),
            ("ce-specversion", "1.0"),
            ("ce-id", eventID),
            ("ce-type", eventType),
            ("ce-source", "//firestore.googleapis.com/\(database.resourceName)"),
            ("ce-subject", "documents/\(path)"),
            ("ce-time", Timestamps.format(micros: time)),
            ("ce-datacontenttype", "application/protobuf"),
            ("ce-dataschema", "https://github.com/googleapis/google-cloudevents/blob/main/proto/google/events/cloud/firestore/v1/data.proto"),
            ("ce-project", database.project),
            ("ce-database", database.database),
            ("ce-namespace", "(default)"),
            ("ce-document", path.description),
            ("ce-location", location),
        ]
        // `…withAuthContext` events say who made the write.
        if let auth {
            headers.append(("ce-authtype", auth.type))
            if let id = auth.id { headers.append(("ce-authid", id)) }
        }
        let body: Data = try data.serializedBytes()
        // firebase-tools' Functions emulator takes the protobuf as base64 text.
        return TriggerDelivery(headers: headers, body: base64Body ? Data(body.base64EncodedString().utf8) : body)
    }

    /// 1st gen: the JSON envelope the Firebase emulator hands the Functions emulator.
    public static func legacyEvent(
        eventID: String, eventType: String, database: DatabaseID, path: ResourcePath, time: Int64,
        before: DocumentSnapshot?, after: DocumentSnapshot?, updateMask: [FieldPath]?
    ) throws -> TriggerDelivery {
        var data: [String: Any] = [:]
        if let after { data["value"] = try jsonObject(after.proto(in: database)) }
        if let before { data["oldValue"] = try jsonObject(before.proto(in: database)) }
        if let updateMask { data["updateMask"] = ["fieldPaths": updateMask.map(\.description)] }
        let envelope: [String: Any] = [
            "data": data,
            "context": [
                "eventId": eventID,
                "timestamp": Timestamps.format(micros: time),
                "eventType": eventType,
                "resource": ["name": database.name(of: path), "service": "firestore.googleapis.com"],
            ],
        ]
        let body = try JSONSerialization.data(withJSONObject: envelope, options: [.sortedKeys, .withoutEscapingSlashes])
        return TriggerDelivery(headers: [("Content-Type", "application/json")], body: body)
    }

    /// `google.events.cloud.firestore.v1.Document` shares `google.firestore.v1.Document`'s field
    /// numbers, so the stored document converts through its wire form.
    static func eventDocument(_ doc: DocumentSnapshot, _ database: DatabaseID) throws -> Google_Events_Cloud_Firestore_V1_Document {
        let bytes: Data = try doc.proto(in: database).serializedBytes()
        return try Google_Events_Cloud_Firestore_V1_Document(serializedBytes: bytes)
    }

    static func jsonObject(_ doc: FirestoreDocument) throws -> Any {
        let bytes: [UInt8] = try doc.jsonUTF8Bytes()
        return try JSONSerialization.jsonObject(with: Data(bytes))
    }
}
