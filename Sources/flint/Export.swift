import ArgumentParser
import FlintCore
import FlintExport
import FlintStore
import Foundation
import Logging

/// `flint export DIR --data FILE`: writes a durable store's documents as an export directory in
/// firebase-tools' layout, which `flint start --import`, `firebase emulators:start --import` and
/// the official emulator's `--seed_from_export` read.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a --data store's documents as an export directory (firebase-tools' layout).")

    @Argument(help: "The directory to write (replaced atomically when it exists).")
    var directory: String

    @Option(name: .customLong("data"), help: "The SQLite file of the store to export.")
    var dataPath: String

    @Option(help: "Export only this project's databases.")
    var project: String?

    @Option(help: "Export only this database (with --project; default: every database).")
    var database: String?

    func validate() throws {
        guard FileManager.default.fileExists(atPath: dataPath) else {
            throw ValidationError("--data \(dataPath) does not exist.")
        }
        if database != nil && project == nil { throw ValidationError("--database needs --project.") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "flint.export")
        let store = try DocumentStore(path: dataPath)
        defer { store.close() }
        let targets: [DatabaseID?]
        if let project {
            if let database {
                targets = [DatabaseID(project: project, database: database)]
            } else {
                targets = try await store.read { try $0.databaseIDs() }.filter { $0.project == project }
            }
        } else {
            targets = [nil]
        }
        do {
            guard targets.count <= 1 else {
                throw ValidationError(
                    "Project \(project ?? "") has \(targets.count) databases; name one with --database, or leave out --project to export them all.")
            }
            let summary = try await FirestoreExport.writeFirebase(store, to: directory, database: targets.first ?? nil, logger: logger)
            print("Exported \(summary.documents) documents to \(summary.path)")
        } catch let error as FirestoreError {
            throw ValidationError(error.message)
        }
    }
}
