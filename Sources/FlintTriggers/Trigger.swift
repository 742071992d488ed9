import FlintCore

/// One registered trigger: which writes it watches and where their events go.
public struct Trigger: Sendable {
    /// Where events are delivered.
    public enum Target: Sendable {
        /// A Swift handler inside Flint.
        case inProcess(TriggerHandler)
        /// An HTTP endpoint receiving the event in `format`.
        case http(url: String, format: PayloadFormat)
    }

    public enum PayloadFormat: String, Sendable {
        /// 2nd gen as production sends it: binary-mode CloudEvent, raw protobuf body.
        case cloudEvent
        /// 1st gen JSON envelope.
        case legacy
        /// What firebase-tools' Functions emulator expects: 1st gen JSON, or 2nd gen CloudEvent
        /// headers with the protobuf body as base64 text.
        case firebaseTools
    }

    /// Unique name (firebase-tools uses e.g. `us-central1-onOrder`).
    public var key: String
    public var eventType: TriggerEventType
    /// The event type as given (sent in payloads).
    public var eventTypeName: String
    public var pattern: DocumentPattern
    /// The project it watches; nil watches every project.
    public var project: String?
    public var database: String
    public var target: Target
    /// Retry failed deliveries with exponential backoff; otherwise one attempt.
    public var retry: Bool
    /// In-process triggers may narrow which changes make events: a change it refuses makes none.
    /// It runs inside the commit's transaction, so it must be quick and must not block.
    public var accepts: (@Sendable (DocumentChange) -> Bool)?

    public init(
        key: String, eventType: String, document: String, project: String? = nil, database: String = "(default)",
        target: Target, retry: Bool = false, accepts: (@Sendable (DocumentChange) -> Bool)? = nil
    ) throws(FirestoreError) {
        if key.isEmpty { throw .invalidArgument("A trigger needs a non-empty name.") }
        self.key = key
        self.eventType = try TriggerEventType(eventType)
        self.eventTypeName = eventType
        self.pattern = try DocumentPattern(document)
        self.project = project
        self.database = database
        self.target = target
        self.retry = retry
        self.accepts = accepts
    }

    /// The params if this trigger fires for `change`'s kind of event on its document.
    func matches(_ database: DatabaseID, _ path: ResourcePath, _ kind: DocumentEventKind) -> [String: String]? {
        guard eventType.accepts(kind), self.database == database.database,
            project.map({ $0 == database.project }) ?? true
        else { return nil }
        return pattern.match(path)
    }
}

/// An in-process handler: runs with the event and a context to read and write through.
public typealias TriggerHandler = @Sendable (TriggerEvent, TriggerContext) async throws -> Void

/// A document event as an in-process handler sees it.
public struct TriggerEvent: Sendable {
    /// Unique per event; the same on every delivery of it (retries, duplicate mode).
    public var id: String
    public var kind: DocumentEventKind
    /// The commit time, in microseconds since the epoch.
    public var time: Int64
    public var database: DatabaseID
    public var path: ResourcePath
    /// The pattern's wildcards, e.g. `["orderId": "o1"]` for `orders/{orderId}`.
    public var params: [String: String]
    public var before: DocumentSnapshot?
    public var after: DocumentSnapshot?
    /// The field paths an update changed (nil unless `kind` is `.updated`).
    public var updateMask: [FieldPath]?
    /// 1 on the first delivery.
    public var attempt: Int
    /// The trigger cascade depth of the write that caused this event (0: a client's write).
    public var depth: Int
    /// Who made the write.
    public var auth: EventAuth

    /// The document after the write, or before it for a delete.
    public var document: DocumentSnapshot? { after ?? before }
}

/// Who made the write that caused an event, as production's `…withAuthContext` events say it.
public struct EventAuth: Sendable, Equatable {
    /// `app_user` (an end user's token), `admin` (`Bearer owner`, trigger handlers, the engine),
    /// `unauthenticated` (no credentials) or `unknown` (events kept from before Flint recorded it).
    public var type: String
    /// The user's id, for `app_user`.
    public var id: String?

    public init(type: String, id: String? = nil) {
        self.type = type
        self.id = id
    }

    public init(_ authorization: Authorization) {
        switch authorization {
        case .admin: self.init(type: "admin")
        case .unauthenticated: self.init(type: "unauthenticated")
        case .user(let token): self.init(type: "app_user", id: token.uid)
        }
    }
}
