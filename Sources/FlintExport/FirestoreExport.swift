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
            let files = OutputFiles(directory: kinds)
            let encoder = BatchEncoder(files: files)
            // Never leave a batch being written behind, whatever fails.
            defer { try? encoder.wait() }
            // Rows are copied out in batches. While the cores turn one batch into records (each
            // its share, into output files of its own), the next is read.
            var batch = RowBatch()
            var spare = RowBatch()
            var documents = 0
            func encodeBatch() throws {
                try encoder.wait()
                encoder.start(batch)
                documents += batch.rows.count
                progress.advance(by: batch.rows.count)
                swap(&batch, &spare)
                batch.removeAll(keeping: spare.collections.last)
            }
            try reader.forEachStoredDocument(in: database) { id, path in
                batch.collections.append(StoredEntityCodec.Collection(database: id, path: path))
            } document: { id, fields in
                batch.append(id: id, fields: fields)
                if batch.rows.count == 16384 || batch.bytes.count >= 4 << 20 { try encodeBatch() }
            }
            try encodeBatch()
            try encoder.wait()
            for worker in encoder.workers { try worker.finish(files) }
            if files.written.isEmpty { try files.open().handle.close() }
            let written = files.written
            progress.finish()
            return (documents, written.reduce(0) { $0 + $1.bytes }, written.map(\.name))
        }
        let kindsMetadata = ExportLayout.kindsMetadata(
            name: name, started: started, finished: Timestamps.nowMicros(), outputs: outputs)
        try Data(kindsMetadata).write(
            to: URL(fileURLWithPath: (kinds as NSString).appendingPathComponent(ExportLayout.kindsMetadataName)))
        try Data(ExportLayout.overallMetadata(documents: documents, bytes: bytes)).write(
            to: URL(fileURLWithPath: (root as NSString).appendingPathComponent("\(name).overall_export_metadata")))
        return (documents, bytes)
    }

    /// Documents copied out of the store: ids and stored fields one after another in `bytes`,
    /// each of the collection last added before it.
    struct RowBatch: Sendable {
        struct Row {
            var collection: Int
            var id: Range<Int>
            var fields: Range<Int>
        }
        var collections: [StoredEntityCodec.Collection] = []
        var bytes: [UInt8] = []
        var rows: [Row] = []

        mutating func append(id: UnsafeRawBufferPointer, fields: UnsafeRawBufferPointer) {
            let idStart = bytes.count
            bytes.append(contentsOf: id)
            let fieldsStart = bytes.count
            bytes.append(contentsOf: fields)
            rows.append(Row(collection: collections.count - 1, id: idStart..<fieldsStart, fields: fieldsStart..<bytes.count))
        }

        /// Empties the batch; `collection` (the one being read) goes on into the next rows.
        mutating func removeAll(keeping collection: StoredEntityCodec.Collection?) {
            collections.removeAll(keepingCapacity: true)
            if let collection { collections.append(collection) }
            bytes.removeAll(keepingCapacity: true)
            rows.removeAll(keepingCapacity: true)
        }
    }

    /// Encodes one batch at a time on every core, in the background.
    final class BatchEncoder: Sendable {
        let workers = (0..<ProcessInfo.processInfo.activeProcessorCount).map { _ in ExportWorker() }
        let files: OutputFiles
        private let group = DispatchGroup()
        /// The first failure.
        private let failure = Mutex<(any Error)?>(nil)

        init(files: OutputFiles) { self.files = files }

        /// Starts turning `batch` into entity records straight from its stored form, one share of
        /// the rows per worker. Only after `wait` may the next start.
        func start(_ batch: RowBatch) {
            let rows = batch.rows
            let shares = max(1, min(workers.count, rows.count / 512))
            let size = (rows.count + shares - 1) / shares
            for share in 0..<shares {
                DispatchQueue.global().async(group: group) { [self] in
                    let worker = workers[share]
                    do {
                        try batch.bytes.withUnsafeBytes { bytes in
                            for row in rows[(share * size)..<min(rows.count, (share + 1) * size)] {
                                worker.record.removeAll()
                                try StoredEntityCodec.encode(
                                    batch.collections[row.collection], id: UnsafeRawBufferPointer(rebasing: bytes[row.id]),
                                    stored: UnsafeRawBufferPointer(rebasing: bytes[row.fields]), into: &worker.record,
                                    scratch: &worker.scratch)
                                try worker.appendRecord(files)
                            }
                        }
                    } catch {
                        failure.withLock { f in if f == nil { f = error } }
                    }
                }
            }
        }

        /// Waits for the batch started last; its first failure, if any, is thrown.
        func wait() throws {
            group.wait()
            if let error = failure.withLock({ $0 }) { throw error }
        }
    }

    /// The output files of an export, numbered as they are opened.
    final class OutputFiles: Sendable {
        let directory: String
        private let files = Mutex<[(name: String, bytes: Int)]>([])

        init(directory: String) { self.directory = directory }

        /// Every file with its size, once all are closed.
        var written: [(name: String, bytes: Int)] { files.withLock { $0 } }

        /// Creates the next output file.
        func open() throws -> (index: Int, handle: FileHandle) {
            let (index, name) = files.withLock { f in
                f.append(("output-\(f.count)", 0))
                return (f.count - 1, f[f.count - 1].name)
            }
            let path = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.createFile(atPath: path, contents: nil),
                let handle = FileHandle(forWritingAtPath: path)
            else { throw FirestoreError(.internal, "Cannot create the export file \(path).") }
            return (index, handle)
        }

        func closed(_ index: Int, bytes: Int) { files.withLock { $0[index].bytes = bytes } }
    }

    /// One core's share of an export: the output file it is filling, written out a megabyte at
    /// a time from the same buffer, and its scratch space. Only the core given its index touches it.
    final class ExportWorker: @unchecked Sendable {
        var log = LevelDBLogWriter(capacity: 1 << 20)
        var record = ProtoWriter(capacity: 4096)
        var scratch: [StoredEntityCodec.Entry] = []
        private var file: (index: Int, handle: FileHandle)?
        private var fileBytes = 0

        /// Frames the record just encoded into the output file.
        func appendRecord(_ files: OutputFiles) throws {
            log.append(record.buffer)
            if log.data.count >= 1 << 20 { try writeOut(files) }
        }

        /// Writes what is buffered; past the size of an output file, closes it.
        func writeOut(_ files: OutputFiles) throws {
            let current = try file ?? files.open()
            file = current
            try current.handle.write(contentsOf: log.data)
            fileBytes += log.data.count
            log.removeBuffered()
            if fileBytes >= outputFileBytes { try close(files) }
        }

        /// Writes the rest and closes the file (if one was started).
        func finish(_ files: OutputFiles) throws {
            if !log.data.isEmpty { try writeOut(files) }
            try close(files)
        }

        private func close(_ files: OutputFiles) throws {
            guard let current = file else { return }
            try current.handle.close()
            files.closed(current.index, bytes: fileBytes)
            file = nil
            fileBytes = 0
            log = LevelDBLogWriter(capacity: 1 << 20)
        }
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
