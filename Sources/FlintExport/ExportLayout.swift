import FlintCore
import Foundation

/// Where the files of an export are, and their metadata files: `NAME.overall_export_metadata`
/// (a log of the per-kind metadata files), `all_namespaces/all_kinds/…export_metadata` (the
/// output files) and the `output-N` files of entities. firebase-tools adds
/// `firebase-export-metadata.json` above a `firestore_export` directory of that shape.
public enum ExportLayout {
    public static let firebaseMetadataFile = "firebase-export-metadata.json"
    public static let firebaseExportName = "firestore_export"
    static let kindsDirectory = "all_namespaces/all_kinds"
    static let kindsMetadataName = "all_namespaces_all_kinds.export_metadata"

    /// The `*.overall_export_metadata` file an import of `path` reads: `path` itself, the one in
    /// directory `path`, or the one a `firebase-export-metadata.json` there names.
    public static func overallMetadata(at path: String) throws -> String {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FirestoreError.badExport(path, "no such file or directory")
        }
        if !isDirectory.boolValue {
            guard path.hasSuffix(".overall_export_metadata") else {
                throw FirestoreError.badExport(path, "not an export directory or .overall_export_metadata file")
            }
            return path
        }
        let firebase = (path as NSString).appendingPathComponent(firebaseMetadataFile)
        if fm.fileExists(atPath: firebase) {
            guard let data = fm.contents(atPath: firebase),
                let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { throw FirestoreError.badExport(firebase, "not valid JSON") }
            guard let firestore = json["firestore"] as? [String: Any] else {
                throw FirestoreError.badExport(firebase, "it holds no Firestore export (no \"firestore\" key)")
            }
            if let file = firestore["metadata_file"] as? String {
                return (path as NSString).appendingPathComponent(file)
            }
            let directory = (path as NSString).appendingPathComponent(firestore["path"] as? String ?? firebaseExportName)
            return try overallMetadata(at: directory)
        }
        let found = ((try? fm.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".overall_export_metadata") }
        guard found.count == 1 else {
            throw FirestoreError.badExport(
                path,
                found.isEmpty
                    ? "no \(firebaseMetadataFile) and no .overall_export_metadata file in it"
                    : "it holds \(found.count) .overall_export_metadata files; name one")
        }
        return (path as NSString).appendingPathComponent(found[0])
    }

    /// The output files an overall metadata file lists, each checked to exist.
    static func outputFiles(overall: String) throws -> [String] {
        guard let data = FileManager.default.contents(atPath: overall) else {
            throw FirestoreError.badExport(overall, "the file cannot be read")
        }
        let root = (overall as NSString).deletingLastPathComponent
        var kindFiles: [String] = []
        do {
            try LevelDBLogReader.records(Array(data)) { _, record in
                // The first record is a one-byte version; the others list the per-kind files.
                // A record of another shape lists nothing (the files are then found by name).
                guard record.count > 1 else { return }
                kindFiles += (try? Self.kindFiles(in: record)) ?? []
            }
        } catch {
            throw FirestoreError.badExport(overall, "\(error)")
        }
        if kindFiles.isEmpty { kindFiles = Self.findKindFiles(under: root) }
        guard !kindFiles.isEmpty else {
            throw FirestoreError.badExport(overall, "it lists no .export_metadata file, and none is beside it")
        }
        var outputs: [String] = []
        for kindFile in kindFiles {
            let path = (root as NSString).appendingPathComponent(kindFile)
            guard let kindData = FileManager.default.contents(atPath: path) else {
                throw FirestoreError.badExport(path, "listed in \(overall) but missing (a partial export?)")
            }
            let directory = (path as NSString).deletingLastPathComponent
            let before = outputs.count
            defer {
                // Metadata that lists no output files: take those beside it.
                if outputs.count == before {
                    let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
                        .filter { $0.hasPrefix("output-") }
                        .sorted { (Int($0.dropFirst(7)) ?? 0) < (Int($1.dropFirst(7)) ?? 0) }
                    outputs += names.map { (directory as NSString).appendingPathComponent($0) }
                }
            }
            do {
                outputs += try names(in: Array(kindData)[...], entry: 2).map {
                    (directory as NSString).appendingPathComponent($0)
                }
            } catch {
                throw FirestoreError.badExport(path, "\(error)")
            }
        }
        for output in outputs where !FileManager.default.fileExists(atPath: output) {
            throw FirestoreError.badExport(output, "listed in the export's metadata but missing (a partial export?)")
        }
        return outputs
    }

    private static func kindFiles(in record: ArraySlice<UInt8>) throws -> [String] { try names(in: record, entry: 1) }

    /// The text of field 2 of each field-`entry` message of `record` (how both metadata files name
    /// the files they list).
    private static func names(in record: ArraySlice<UInt8>, entry: Int) throws -> [String] {
        let malformed = "the metadata's bytes are malformed"
        var out: [String] = []
        try record.withUnsafeBytes { bytes in
            try WireRegion(bytes).forEachField(malformed: malformed) { field in
                guard case .message(entry, let e) = field else { return }
                try e.forEachField(malformed: malformed) { f in
                    if case .message(2, let text) = f { out.append(try text.text("a file name")) }
                }
            }
        }
        return out
    }

    /// `*.export_metadata` files below `root` (relative paths), for metadata that lists none.
    private static func findKindFiles(under root: String) -> [String] {
        let all = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        return all.filter { $0.hasSuffix(".export_metadata") }.sorted()
    }

    // MARK: writing

    /// The overall metadata file: a version record, then one entry naming the kinds' metadata
    /// file with the number of entities and bytes exported.
    static func overallMetadata(documents: Int, bytes: Int) -> [UInt8] {
        var log = LevelDBLogWriter()
        log.append(Array("3".utf8))
        var w = ProtoWriter()
        w.message(1) { entry in
            entry.message(1) { kind in
                kind.int64(1, 2)
                kind.int64(3, 3)
            }
            entry.string(2, kindsDirectory + "/" + kindsMetadataName)
            entry.int64(3, Int64(documents))
            entry.int64(4, Int64(bytes))
        }
        log.append(w.bytes)
        return log.data
    }

    /// The kinds' metadata file: the export's name and times, and its output files.
    static func kindsMetadata(name: String, started: Int64, finished: Int64, outputs: [String]) -> [UInt8] {
        var w = ProtoWriter()
        w.message(1) { m in
            m.string(1, name)
            m.int64(2, started)
            m.int64(3, finished)
        }
        for output in outputs {
            w.message(2) { o in
                o.string(1, "")
                o.string(2, output)
            }
        }
        return w.bytes
    }

    /// `firebase-export-metadata.json`, as firebase-tools writes it.
    static func firebaseMetadata() -> Data {
        let json = """
            {
              "version": "flint",
              "firestore": {
                "version": "flint",
                "path": "\(firebaseExportName)",
                "metadata_file": "\(firebaseExportName)/\(firebaseExportName).overall_export_metadata"
              }
            }

            """
        return Data(json.utf8)
    }
}
