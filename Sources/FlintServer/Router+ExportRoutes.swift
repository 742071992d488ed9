import FlintCore
import FlintExport
import FlintREST
import FlintService
import FlintStore
import FlintTriggers
import Foundation
import Hummingbird
import Logging

/// Export and snapshot endpoints: `POST projects/{p}:export` (the body firebase-tools sends),
/// and `snapshots…` to save, restore, list and delete whole-store snapshots.
extension RouterGroup<FlintRequestContext> {
    func addExportRoutes(
        store: DocumentStore, service: FirestoreService, triggers: TriggerRuntime, snapshots: StoreSnapshots,
        logger: Logger
    ) {
        post("projects/{project}") { request, context in
            // The segment is `{p}:export`.
            let target = try context.parameters.require("project")
            guard target.hasSuffix(":export") else {
                throw FirestoreError(.notFound, "Unknown emulator endpoint projects/\(target).")
            }
            let project = String(target.dropLast(":export".count))
            let body = try await request.jsonObject()
            guard let directory = body["export_directory"] as? String, !directory.isEmpty else {
                throw FirestoreError.invalidArgument("export_directory is required: the directory to write the export in.")
            }
            let name = body["export_name"] as? String ?? ExportLayout.firebaseExportName
            let database = try (body["database"] as? String).map { try ResourceName.database($0) }
                ?? DatabaseID(project: project)
            let summary = try await FirestoreExport.write(
                store, to: directory, name: name, database: database, logger: logger)
            return try EmulatorJSON.response(ExportAnswer(path: summary.path, documents: summary.documents))
        }
        post("snapshots/{name}") { _, context in
            // `{name}` saves; `{name}:restore` restores.
            let target = try context.parameters.require("name")
            if target.hasSuffix(":restore") {
                let name = String(target.dropLast(":restore".count))
                let info = try await service.restore(name, from: snapshots) { triggers.discardPendingEvents() }
                return try EmulatorJSON.response(info)
            }
            return try EmulatorJSON.response(try await snapshots.save(target))
        }
        get("snapshots") { _, _ in try EmulatorJSON.response(SnapshotList(snapshots: snapshots.list())) }
        delete("snapshots/{name}") { _, context in
            try snapshots.delete(try context.parameters.require("name"))
            return EmulatorJSON.empty
        }
    }
}

struct ExportAnswer: Encodable {
    var path: String
    var documents: Int
}

struct SnapshotList: Encodable {
    var snapshots: [StoreSnapshots.Info]
}
