import FlintCore
import FlintProto
import FlintStore

/// One write of a commit, validated before anything touches the store.
struct WritePlan: Sendable {
    enum Kind: Sendable {
        /// Replace all fields, or (with a mask) only the masked paths.
        case update(fields: Fields, mask: [FieldPath]?)
        case delete
        /// A transform-only write (the legacy `transform` operation).
        case transform
    }

    enum Precondition: Sendable {
        case none
        case exists(Bool)
        case updateTime(Int64)
    }

    var database: DatabaseID
    var path: ResourcePath
    var name: String
    var kind: Kind
    var precondition: Precondition
    var transforms: [FieldTransform]
    /// The stored form of a plain replacement, computed while parsing (off the serial writer).
    var prepared: PreparedFields?

    /// `indexRows`: prepare a plain replacement's index rows too (false when parsed on the writer,
    /// where a replaced document's rows come from a cheaper diff).
    init(_ write: Google_Firestore_V1_Write, database expected: DatabaseID? = nil, indexRows: Bool = true)
        throws(FirestoreError)
    {
        let name: String
        switch write.operation {
        case .update(let doc):
            name = doc.name
        case .delete(let n):
            name = n
        case .transform(let t):
            if t.fieldTransforms.isEmpty { throw .invalidArgument("The list of FieldTransform must not be empty.") }
            name = t.document
        default:
            throw .invalidArgument("A write must set one of update, delete or transform.")
        }
        let (db, path) = try ResourceName.document(name)
        if let expected, expected != db {
            throw .invalidArgument("Document \"\(name)\" is not in database \"\(expected.resourceName)\" named by the request.")
        }
        self.database = db
        self.path = path
        self.name = name
        switch write.operation {
        case .update(let doc):
            let fields = try DocumentValidation.normalized(doc.fields, documentName: name)
            var mask: [FieldPath]? = nil
            if write.hasUpdateMask {
                mask = try write.updateMask.fieldPaths.map { (p) throws(FirestoreError) in try FieldPath(parsing: p) }
            }
            kind = .update(fields: fields, mask: mask)
            transforms = try FieldTransform.parse(write.updateTransforms, document: name)
            if mask == nil && transforms.isEmpty {
                do {
                    prepared = try PreparedFields(fields, indexRows: indexRows)
                } catch {
                    throw FirestoreError(.internal, "Cannot encode \"\(name)\": \(error)")
                }
            }
        case .delete:
            if !write.updateTransforms.isEmpty {
                throw .invalidArgument("A delete of \"\(name)\" cannot carry field transforms.")
            }
            kind = .delete
            transforms = []
        default:
            if !write.updateTransforms.isEmpty {
                throw .invalidArgument("A transform write of \"\(name)\" cannot also carry updateTransforms.")
            }
            kind = .transform
            transforms = try FieldTransform.parse(write.transform.fieldTransforms, document: name)
        }
        precondition = try Self.precondition(write)
    }

    init(delete path: ResourcePath, in database: DatabaseID) {
        self.database = database
        self.path = path
        self.name = database.name(of: path)
        self.kind = .delete
        self.precondition = .none
        self.transforms = []
    }

    static func precondition(_ write: Google_Firestore_V1_Write) throws(FirestoreError) -> Precondition {
        guard write.hasCurrentDocument else { return .none }
        switch write.currentDocument.conditionType {
        case .exists(let e): return .exists(e)
        case .updateTime(let t): return .updateTime(t.micros)
        default: return .none
        }
    }

    /// Whether applying this write can produce fields that were not validated at parse time.
    var reshapesFields: Bool {
        if !transforms.isEmpty { return true }
        if case .update(_, let mask) = kind { return mask != nil }
        return false
    }

    /// Checks the precondition against what the document is now.
    func check(_ current: DocumentSnapshot?) throws(FirestoreError) {
        switch precondition {
        case .none:
            return
        case .exists(true) where current == nil:
            throw .notFound("No document to update: \(name)")
        case .exists(false) where current != nil:
            throw FirestoreError(.alreadyExists, "Document already exists: \(name)")
        case .updateTime(let t):
            guard let doc = current else {
                throw .failedPrecondition("Document \"\(name)\" does not exist, so it cannot match the precondition's update time.")
            }
            if t > doc.updateTime {
                throw .invalidArgument(
                    "Invalid base version for \(name): the precondition's update time \(Timestamps.format(micros: t)) is later than the stored version's, \(Timestamps.format(micros: doc.updateTime)).")
            }
            if doc.updateTime != t {
                throw .failedPrecondition(
                    "The document \(name) was last updated at \(Timestamps.format(micros: doc.updateTime)), not at the precondition's update time \(Timestamps.format(micros: t)).")
            }
        default:
            return
        }
    }

    /// The fields after applying this write to `current`, plus the transform results.
    func apply(to current: Fields?, requestTime: ProtoTimestamp) -> (fields: Fields?, transformResults: [FirestoreValue]) {
        var fields: Fields
        switch kind {
        case .delete:
            return (nil, [])
        case .update(let new, nil):
            fields = new
        case .update(let new, let mask?):
            fields = current ?? [:]
            for path in mask {
                if let v = new.value(at: path) { fields.setValue(v, at: path) } else { fields.removeValue(at: path) }
            }
        case .transform:
            fields = current ?? [:]
        }
        let results = transforms.map { $0.apply(to: &fields, requestTime: requestTime) }
        return (fields, results)
    }
}

