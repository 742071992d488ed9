import FlintCore
import FlintStore
import Foundation
import Logging
import Synchronization

/// Loads an export (firebase-tools' directory, a `gcloud firestore export` directory, or its
/// `.overall_export_metadata` file) into a store. Every file is read and checked before anything
/// is written, and the documents go in as one commit: a damaged or partial export imports nothing.
public enum FirestoreImport {
    public struct Summary: Sendable {
        public var documents: Int
        public var files: Int
        public var commitTime: Int64
    }

    /// Reads every document of the export at `path`. `project` moves them (and references into
    /// their project) to another project; by default each keeps the project its key names.
    public static func read(_ path: String, project: String? = nil) throws -> (documents: [ExportedDocument], files: Int) {
        let (records, files) = try readRecords(path)
        return (try decode(records, project: project) { $0 }, files)
    }

    /// One entity record of an export file.
    struct Record {
        var file: String
        var index: Int
        var bytes: ArraySlice<UInt8>
    }

    /// Every record of every output file of the export, each file's checksums checked.
    static func readRecords(_ path: String) throws -> (records: [Record], files: Int) {
        let overall = try ExportLayout.overallMetadata(at: path)
        let outputs = try ExportLayout.outputFiles(overall: overall)
        var records: [Record] = []
        for output in outputs {
            guard let data = FileManager.default.contents(atPath: output) else {
                throw FirestoreError.badExport(output, "the file cannot be read")
            }
            do {
                try LevelDBLogReader.records(Array(data)) { index, record in
                    records.append(Record(file: output, index: index, bytes: record))
                }
            } catch let corruption as LevelDBLogReader.Corruption {
                throw FirestoreError.badExport(output, "\(corruption)")
            }
        }
        return (records, outputs.count)
    }

    /// Decodes and checks every record on every core, then turns each document into `T` there
    /// too; the first bad record (in file order) is the error.
    static func decode<T: Sendable>(
        _ records: [Record], project: String?, _ transform: @escaping @Sendable (ExportedDocument) throws -> T
    ) throws -> [T] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount * 4, records.count / 2000))
        let size = (records.count + chunks - 1) / chunks
        let results = Mutex<[Int: Result<[T], any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (chunk * size)..<min(records.count, (chunk + 1) * size)
            var out: [T] = []
            out.reserveCapacity(range.count)
            var result: Result<[T], any Error>
            do {
                for record in records[range] {
                    do {
                        out.append(try transform(try validated(try EntityCodec.decode(record.bytes, project: project))))
                    } catch let error as FirestoreError {
                        throw FirestoreError.badExport(record.file, "record \(record.index): \(error.message)")
                    } catch {
                        throw FirestoreError.badExport(record.file, "record \(record.index): \(error)")
                    }
                }
                result = .success(out)
            } catch {
                result = .failure(error)
            }
            results.withLock { $0[chunk] = result }
        }
        return try results.withLock { r in try (0..<chunks).flatMap { try r[$0]!.get() } }
    }

    /// Reads the export at `path`, then writes its documents into `store` in one commit (a
    /// document already there is replaced). Triggers and listeners are not told: this is seeding.
    public static func load(
        _ path: String, into store: DocumentStore, project: String? = nil,
        logger: Logger = Logger(label: "flint.import")
    ) async throws -> Summary {
        let (records, files) = try readRecords(path)
        // Stored form and index rows are computed on every core before the writer takes them.
        let documents = try decode(records, project: project) { document in
            (document, try NewDocument(database: document.database, path: document.path, fields: document.fields))
        }
        let progress = ExportProgress("import", total: documents.count, logger: logger)
        let time = try await store.write { writer in
            let time = try writer.nextCommitTime(now: Timestamps.nowMicros())
            if try writer.reader.documentCount() == 0 {
                // Into an empty store every document is new: loaded in bulk, in key order.
                try writer.insertNew(documents.map(\.1), time: time)
                progress.advance(by: documents.count)
                return time
            }
            for (document, prepared) in documents {
                let previous = try writer.document(document.database, document.path)
                try writer.put(
                    document.database,
                    DocumentSnapshot(
                        path: document.path, fields: document.fields, createTime: previous?.createTime ?? time,
                        updateTime: time),
                    previous: previous, prepared: prepared.prepared)
                progress.advance()
            }
            return time
        }
        progress.finish()
        return Summary(documents: documents.count, files: files, commitTime: time)
    }

    /// A document the API would refuse is refused here too.
    static func validated(_ document: ExportedDocument) throws -> ExportedDocument {
        let name = document.database.name(of: document.path)
        try ResourceName.validate(document.path, name: name)
        var checked = document
        checked.fields = try DocumentValidation.normalized(document.fields, documentName: name)
        return checked
    }
}
