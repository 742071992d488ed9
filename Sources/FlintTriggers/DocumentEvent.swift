import FlintCore

/// What a committed change was, in Cloud Functions' terms.
public enum DocumentEventKind: String, Sendable, CaseIterable {
    case created, updated, deleted

    /// Classifies a change; nil when nothing changed (such writes fire nothing).
    public static func of(before: DocumentSnapshot?, after: DocumentSnapshot?) -> DocumentEventKind? {
        switch (before, after) {
        case (nil, nil): return nil
        case (nil, _?): return .created
        case (_?, nil): return .deleted
        case (let b?, let a?): return fieldsEqual(b.fields, a.fields) ? nil : .updated
        }
    }
}

/// The event types a trigger can subscribe to, 2nd gen (`…document.v1.created`) or 1st gen
/// (`providers/cloud.firestore/eventTypes/document.create`); `written`/`write` match every kind.
public struct TriggerEventType: Sendable, Equatable {
    public enum Generation: Sendable { case first, second }
    public let generation: Generation
    /// nil for written/write.
    public let kind: DocumentEventKind?
    /// `…withAuthContext`: deliveries carry who made the write.
    public let withAuthContext: Bool

    public init(_ name: String) throws(FirestoreError) {
        let gen2 = "google.cloud.firestore.document.v1."
        let gen1 = "providers/cloud.firestore/eventTypes/document."
        var base = name
        withAuthContext = base.hasSuffix(".withAuthContext")
        if withAuthContext { base = String(base.dropLast(".withAuthContext".count)) }
        if base.hasPrefix(gen2) {
            generation = .second
            switch base.dropFirst(gen2.count) {
            case "created": kind = .created
            case "updated": kind = .updated
            case "deleted": kind = .deleted
            case "written": kind = nil
            default: throw .invalidArgument("Unknown event type \"\(name)\".")
            }
        } else if base.hasPrefix(gen1) {
            generation = .first
            switch base.dropFirst(gen1.count) {
            case "create": kind = .created
            case "update": kind = .updated
            case "delete": kind = .deleted
            case "write": kind = nil
            default: throw .invalidArgument("Unknown event type \"\(name)\".")
            }
        } else {
            throw .invalidArgument("Unknown event type \"\(name)\": expected google.cloud.firestore.document.v1.* or providers/cloud.firestore/eventTypes/document.*.")
        }
    }

    public func accepts(_ event: DocumentEventKind) -> Bool { kind == nil || kind == event }
}

/// The field paths an update changed (added, removed or altered), maps descended to leaves.
public func changedFieldPaths(_ before: Fields, _ after: Fields) -> [FieldPath] {
    var out: [FieldPath] = []
    func walk(_ b: Fields, _ a: Fields, _ prefix: [String]) {
        for key in Set(b.keys).union(a.keys) {
            let path = prefix + [key]
            switch (b[key], a[key]) {
            case (let x?, let y?):
                if let xm = x.mapFields, let ym = y.mapFields, !xm.isEmpty || !ym.isEmpty {
                    walk(xm, ym, path)
                } else if !valuesIdentical(x, y) {
                    out.append(FieldPath(path))
                }
            default:
                out.append(FieldPath(path))
            }
        }
    }
    walk(before, after, [])
    return out.sorted()
}
