import FlintCore
import FlintServer
import Foundation
import Hummingbird

/// The page's files (HTML, CSS, JavaScript), read once from the target's resources.
struct PageFiles: Sendable {
    struct File: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }
    var byName: [String: File]

    static func bundled() -> PageFiles {
        var files: [String: File] = [:]
        let directory = Bundle.module.resourceURL?.appendingPathComponent("Page")
        let names = directory.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0.path) } ?? []
        for name in names {
            guard let directory, let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path)
            else { continue }
            files[name] = File(bytes: Array(data), contentType: contentType(of: name))
        }
        return PageFiles(byName: files)
    }

    static func contentType(of name: String) -> String {
        switch name.split(separator: ".").last {
        case "html": "text/html; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "svg": "image/svg+xml"
        default: "application/octet-stream"
        }
    }
}

extension FlintUI {
    /// `/ui/` (also `/ui`) and its files. Everything the page loads comes from here (its content
    /// security policy allows nothing else).
    func addPageRoutes(to router: Router<FlintRequestContext>) {
        router.get("ui") { [files] _, _ in try Self.serve(files, "index.html") }
        router.get("ui/{file}") { [files] _, context in try Self.serve(files, try context.parameters.require("file")) }
    }

    static func serve(_ files: PageFiles, _ name: String) throws -> Response {
        guard let file = files.byName[name] else {
            throw FirestoreError(.notFound, "The page has no file \"\(name)\".")
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: file.contentType, .cacheControl: "no-cache",
                .contentSecurityPolicy:
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-src 'self'",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }
}
