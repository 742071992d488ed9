/// Parsing and validation of full resource names `projects/{p}/databases/{d}/documents/{path}`.
public enum ResourceName {
    /// Production's limits on names and ids.
    public static let maxNameBytes = 6 * 1024
    public static let maxIDBytes = 1500
    public static let maxDepth = 100

    /// Splits a database name `projects/{p}/databases/{d}`.
    public static func database(_ name: String) throws(FirestoreError) -> DatabaseID {
        let parts = name.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard parts.count == 4, parts[0] == "projects", parts[2] == "databases", !parts[1].isEmpty, !parts[3].isEmpty
        else { throw .invalidArgument("Invalid database name \"\(name)\": expected projects/{project}/databases/{database}.") }
        return DatabaseID(project: String(parts[1]), database: String(parts[3]))
    }

    /// Splits any name below a database's documents root (the root itself included).
    public static func parse(_ name: String) throws(FirestoreError) -> (DatabaseID, ResourcePath) {
        let parts = name.utf8.split(separator: UInt8(ascii: "/"), maxSplits: 5, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard parts.count >= 5, parts[0] == "projects", parts[2] == "databases", parts[4] == "documents",
            !parts[1].isEmpty, !parts[3].isEmpty
        else {
            throw .invalidArgument(
                "Invalid resource name \"\(name)\": expected projects/{project}/databases/{database}/documents/{path}.")
        }
        let db = DatabaseID(project: String(parts[1]), database: String(parts[3]))
        let rest = parts.count == 6 ? String(parts[5]) : ""
        if parts.count == 6 && rest.isEmpty {
            throw .invalidArgument("Invalid resource name \"\(name)\": it ends with \"/\".")
        }
        let path = try ResourcePath.parse(rest, context: name)
        return (db, path)
    }

    /// A document name: an even, non-zero number of valid segments.
    public static func document(_ name: String) throws(FirestoreError) -> (DatabaseID, ResourcePath) {
        let (db, path) = try parse(name)
        guard path.isDocument else {
            // The official emulator's wording: the index is where a "/" and a document id should follow.
            throw .invalidArgument("Document name \"\(name)\" lacks \"/\" at index \(name.utf16.count).")
        }
        try validate(path, name: name)
        return (db, path)
    }

    /// A parent of collections: the documents root or a document.
    public static func parent(_ name: String) throws(FirestoreError) -> (DatabaseID, ResourcePath) {
        let (db, path) = try parse(name)
        guard path.isEmpty || path.isDocument else {
            throw .invalidArgument("Document parent name \"\(name)\" lacks \"/\" at index \(name.utf16.count).")
        }
        try validate(path, name: name)
        return (db, path)
    }

    /// Checks a reference value: a full document name (the official emulator's wording on failure).
    public static func validateReference(_ name: String) throws(FirestoreError) {
        let parts = name.utf8.split(separator: UInt8(ascii: "/"), maxSplits: 5, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        guard parts.count == 6, parts[0] == "projects", parts[2] == "databases", parts[4] == "documents" else {
            throw .invalidArgument("Resource name \"\(name)\" lacks \"projects\" at index 0.")
        }
        let path = try ResourcePath.parse(parts[5], context: name)
        guard path.isDocument else {
            throw .invalidArgument("Resource name \"\(name)\" lacks \"/\" at index \(name.utf16.count).")
        }
        try validate(path, name: name)
    }

    /// Checks production's rules for every id on a path and for the whole name.
    public static func validate(_ path: ResourcePath, name: String) throws(FirestoreError) {
        if name.utf8.count > maxNameBytes {
            throw .invalidArgument("Resource name \"\(name.prefix(64))…\" is longer than \(maxNameBytes) bytes.")
        }
        if path.count / 2 > maxDepth {
            throw .invalidArgument("Resource name \"\(name)\" is nested deeper than \(maxDepth) subcollections.")
        }
        for (i, segment) in path.segments.enumerated() { try validateID(segment, collection: i % 2 == 0) }
    }

    /// Checks a single collection or document id.
    public static func validateID(_ id: String, collection: Bool = false) throws(FirestoreError) {
        let kind = collection ? "Collection id" : "Resource id"
        if id.isEmpty { throw .invalidArgument("A collection or document id must not be empty.") }
        if id == "." || id == ".." { throw .invalidArgument("Resource id \"\(id)\" is invalid: \".\" and \"..\" are not allowed.") }
        if id.utf8.contains(UInt8(ascii: "/")) {
            throw .invalidArgument("\(kind) \"\(id)\" is invalid because it contains \"/\".")
        }
        if id.utf8.count > maxIDBytes {
            throw .invalidArgument("Resource id \"\(id.prefix(32))…\" is longer than \(maxIDBytes) bytes.")
        }
        if id.utf8.count >= 4 && id.hasPrefix("__") && id.hasSuffix("__") {
            // A document may have a numeric id, `__id<n>__` (see `NumericID`); nothing else is allowed.
            if !collection, NumericID.digits(id) != nil {
                guard NumericID.value(id) != nil else {
                    throw .invalidArgument("\(kind) \"\(id)\" is invalid because it is not a 64 bit integer.")
                }
                return
            }
            throw .invalidArgument("\(kind) \"\(id)\" is invalid because it is reserved.")
        }
    }
}
