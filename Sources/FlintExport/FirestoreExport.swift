import FlintCore
import FlintStore
import Foundation
import Logging
import Synchronization

/// Writes a store's documents in the official export format (what `gcloud firestore export` and
/// the official emulator write, so either can load it), always into a temporary directory that
/// is renamed into place once complete: an interrupted export leaves the previous one intact.
public enum FirestoreExport {
    public struct Summary: Sendable {
        public var documents: Int
        public var bytes: Int
        /// The directory written.
        public var path: String
    }

    /// An output file is closed and a new one started past this size.
    static let outputFileBytes = 64 << 20

    /// Writes `directory/name/` (`name.overall_export_metadata` and `all_namespaces/…`), the shape
    /// of `POST /emulator/v1/projects/{p}:export`. `database` limits it to one database.
    public static func write(
        _ store: DocumentStore, to directory: String, name: String, database: DatabaseID? = nil,
        logger: Logger = Logger(label: "flint.export")
    ) async throws -> Summary {
        try validateName(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw FirestoreError.invalidArgument("export_directory \(directory) is not an existing directory.")
        }
        let final = (directory as NSString).appendingPathComponent(name)
        return try await replaceAtomically(final) { temp in
            try await writeExport(store, into: temp, name: name, database: database, logger: logger)
        }
    }

    /// Writes `directory/` in firebase-tools' layout (`firebase-export-metadata.json` above
    /// `firestore_export/`), what `firebase emulators:export` writes and `--import` reads.
    public static func writeFirebase(
        _ store: DocumentStore, to directory: String, database: DatabaseID? = nil,
        logger: Logger = Logger(label: "flint.export")
    ) async throws -> Summary {
        let parent = (directory as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        return try await replaceAtomically(directory) { temp in
            try FileManager.default.createDirectory(atPath: temp, withIntermediateDirectories: false)
            let inner = (temp as NSString).appendingPathComponent(ExportLayout.firebaseExportName)
            let summary = try await writeExport(
                store, into: inner, name: ExportLayout.firebaseExportName, database: database, logger: logger)
            try ExportLayout.firebaseMetadata().write(
                to: URL(fileURLWithPath: (temp as NSString).appendingPathComponent(ExportLayout.firebaseMetadataFile)))
            return summary
        }
    }

    static func validateName(_ name: String) throws {
        guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else {
            throw FirestoreError.invalidArgument("export_name must be a single directory name, not \"\(name)\".")
        }
    }

    /// Builds the export in a sibling temporary directory, then swaps it in for `final`.
    static func replaceAtomically(_ final: String, _ build: (String) async throws -> (Int, Int)) async throws -> Summary {
        let parent = (final as NSString).deletingLastPathComponent
        let base = (final as NSString).lastPathComponent
        let temp = (parent.isEmpty ? "." : parent) + "/.\(base).partial-\(UUID().uuidString.prefix(8))"
        let (documents, bytes): (Int, Int)
        do {
            (documents, bytes) = try await build(temp)
            try AtomicDirectory.replace(final, with: temp)
        } catch {
            try? FileManager.default.removeItem(atPath: temp)
            if let error = error as? FirestoreError { throw error }
            throw FirestoreError(.internal, "The export to \(final) failed: \(error)")
        }
        return Summary(documents: documents, bytes: bytes, path: final)
    }

    /// Writes the export files into `root` (created here); returns documents and bytes written.
    static func writeExport(
        _ store: DocumentStore, into root: String, name: String, database: DatabaseID?, logger: Logger
    ) async throws -> (Int, Int) {
        let fm = FileManager.default
        let kinds = (root as NSString).appendingPathComponent(ExportLayout.kindsDirectory)
        try fm.createDirectory(atPath: kinds, withIntermediateDirectories: true)
        let started = Timestamps.nowMicros()
        let (documents, bytes, outputs) = try await store.read { reader in
            let progress = ExportProgress("export", total: try reader.documentCount(in: database), logger: logger)
            var log = LevelDBLogWriter(capacity: 1 << 20)
            var outputs: [String] = []
            var documents = 0
            var bytes = 0
            func flush() throws {
                let file = "output-\(outputs.count)"
                try Data(log.data).write(to: URL(fileURLWithPath: (kinds as NSString).appendingPathComponent(file)))
                bytes += log.data.count
                outputs.append(file)
                log = LevelDBLogWriter(capacity: 1 << 20)
            }
            // Rows are read in batches and turned into entities on every core.
            var batch: [(DatabaseID, ResourcePath, Data)] = []
            func encodeBatch() throws {
                for chunk in try encode(batch) {
                    for i in chunk.ends.indices {
                        let start = i == 0 ? 0 : chunk.ends[i - 1]
                        log.append(chunk.bytes[start..<chunk.ends[i]])
                        if log.data.count >= outputFileBytes { try flush() }
                    }
                }
                documents += batch.count
                progress.advance(by: batch.count)
                batch.removeAll(keepingCapacity: true)
            }
            try reader.forEachStoredDocument(in: database) { id, path, blob in
                batch.append((id, path, blob))
                if batch.count == 16384 { try encodeBatch() }
            }
            try encodeBatch()
            try flush()
            progress.finish()
            return (documents, bytes, outputs)
        }
        let kindsMetadata = ExportLayout.kindsMetadata(
            name: name, started: started, finished: Timestamps.nowMicros(), outputs: outputs)
        try Data(kindsMetadata).write(
            to: URL(fileURLWithPath: (kinds as NSString).appendingPathComponent(ExportLayout.kindsMetadataName)))
        try Data(ExportLayout.overallMetadata(documents: documents, bytes: bytes)).write(
            to: URL(fileURLWithPath: (root as NSString).appendingPathComponent("\(name).overall_export_metadata")))
        return (documents, bytes)
    }

    /// Entity records of stored documents, in order, encoded on every core straight from their
    /// stored form: per chunk of rows, the records one after another and where each ends.
    static func encode(_ rows: [(DatabaseID, ResourcePath, Data)]) throws -> [(bytes: [UInt8], ends: [Int])] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, rows.count / 512))
        let size = (rows.count + chunks - 1) / chunks
        let results = Mutex<[Int: Result<(bytes: [UInt8], ends: [Int]), any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (chunk * size)..<min(rows.count, (chunk + 1) * size)
            let result = Result { () throws -> (bytes: [UInt8], ends: [Int]) in
                var w = ProtoWriter(capacity: range.count * 320)
                var ends: [Int] = []
                ends.reserveCapacity(range.count)
                for (id, path, blob) in rows[range] {
                    let stored = blob.withUnsafeBytes { Array($0) }
                    try StoredEntityCodec.encode(database: id, path: path, stored: stored[...], into: &w)
                    ends.append(w.bytes.count)
                }
                return (w.bytes, ends)
            }
            results.withLock { $0[chunk] = result }
        }
        return try results.withLock { r in try (0..<chunks).map { try r[$0]!.get() } }
    }
}

/// Swaps a finished directory into place.
enum AtomicDirectory {
    /// Puts `temp` at `final`. An existing `final` is first moved aside (never removed before the
    /// new one is in place), then removed.
    static func replace(_ final: String, with temp: String) throws {
        let fm = FileManager.default
        if !fm.fileExists(atPath: final) {
            guard rename(temp, final) == 0 else { throw posixError("rename \(temp) to \(final)") }
            return
        }
        let old = temp + ".old"
        guard rename(final, old) == 0 else { throw posixError("move \(final) aside") }
        guard rename(temp, final) == 0 else {
            _ = rename(old, final)
            throw posixError("rename \(temp) to \(final)")
        }
        try fm.removeItem(atPath: old)
    }

    private static func posixError(_ what: String) -> FirestoreError {
        FirestoreError(.internal, "Cannot \(what): \(String(cString: strerror(errno))).")
    }
}
