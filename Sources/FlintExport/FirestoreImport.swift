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
        let overall = try ExportLayout.overallMetadata(at: path)
        let outputs = try ExportLayout.outputFiles(overall: overall)
        var documents: [ExportedDocument] = []
        for output in outputs {
            guard let data = FileManager.default.contents(atPath: output) else {
                throw FirestoreError.badExport(output, "the file cannot be read")
            }
            var current = 0
            do {
                try LevelDBLogReader.records(Array(data)) { index, record in
                    current = index
                    documents.append(try validated(try EntityCodec.decode(record, project: project)))
                }
            } catch let corruption as LevelDBLogReader.Corruption {
                throw FirestoreError.badExport(output, "\(corruption)")
            } catch let error as FirestoreError {
                throw FirestoreError.badExport(output, "record \(current): \(error.message)")
            } catch {
                throw FirestoreError.badExport(output, "record \(current): \(error)")
            }
        }
        return (documents, outputs.count)
    }

    /// Reads the export at `path`, then writes its documents into `store` in one commit (a
    /// document already there is replaced). Triggers and listeners are not told: this is seeding.
    public static func load(
        _ path: String, into store: DocumentStore, project: String? = nil,
        logger: Logger = Logger(label: "flint.import")
    ) async throws -> Summary {
        let (documents, files) = try read(path, project: project)
        let prepared = try prepare(documents)
        let progress = ExportProgress("import", total: documents.count, logger: logger)
        let time = try await store.write { writer in
            let time = try writer.nextCommitTime(now: Timestamps.nowMicros())
            // Into an empty store, only a path met twice can have a document to replace.
            let empty = try writer.reader.documentCount() == 0
            var seen = Set<String>()
            for (document, fields) in zip(documents, prepared) {
                let first = empty && seen.insert(document.database.name(of: document.path)).inserted
                let previous = first ? nil : try writer.document(document.database, document.path)
                try writer.put(
                    document.database,
                    DocumentSnapshot(
                        path: document.path, fields: document.fields, createTime: previous?.createTime ?? time,
                        updateTime: time),
                    previous: previous, prepared: fields)
                progress.advance()
            }
            return time
        }
        progress.finish()
        return Summary(documents: documents.count, files: files, commitTime: time)
    }

    /// Each document's stored form and index rows, computed on every core before the writer
    /// takes them.
    static func prepare(_ documents: [ExportedDocument]) throws -> [PreparedFields] {
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, documents.count / 1000))
        let size = (documents.count + chunks - 1) / max(chunks, 1)
        let results = Mutex<[Int: Result<[PreparedFields], any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let range = (chunk * size)..<min(documents.count, (chunk + 1) * size)
            let result = Result { try documents[range].map { try PreparedFields($0.fields) } }
            results.withLock { $0[chunk] = result }
        }
        return try results.withLock { r in try (0..<chunks).flatMap { try r[$0]!.get() } }
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
