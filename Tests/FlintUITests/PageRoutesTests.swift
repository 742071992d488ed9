import FlintUI
import Foundation
import HTTPTypes
import Testing

@Suite("Page files")
struct PageRoutesTests {
    @Test func thePageIsServedFromTheBinaryWithOnlyItsOwnFilesAllowed() async throws {
        try await withPage { client in
            for path in ["/ui/", "/ui"] {
                let page = try await client.send(.get, path)
                #expect(page.status == 200, "\(path)")
                #expect(page.headers[.contentType] == "text/html; charset=utf-8")
                #expect(page.body.contains(#"<script type="module" src="/ui/app.js">"#))
                #expect(page.headers[.contentSecurityPolicy]?.contains("default-src 'self'") == true)
            }
            for (file, type) in [
                ("app.js", "text/javascript; charset=utf-8"), ("data.js", "text/javascript; charset=utf-8"),
                ("triggers.js", "text/javascript; charset=utf-8"), ("rules.js", "text/javascript; charset=utf-8"),
                ("crm.js", "text/javascript; charset=utf-8"), ("charts.js", "text/javascript; charset=utf-8"),
                ("values.js", "text/javascript; charset=utf-8"), ("style.css", "text/css; charset=utf-8"),
            ] {
                let reply = try await client.send(.get, "/ui/\(file)")
                #expect(reply.status == 200 && reply.headers[.contentType] == type, "\(file)")
                for remote in [#"from "http"#, #"src="http"#, #"href="http"#, "url(http", #"fetch("http"#, "@import"] {
                    #expect(!reply.body.contains(remote), "\(file) loads nothing from elsewhere")
                }
            }
        }
    }

    @Test func anUnknownPageFileIsNotFoundAsAGoogleRpcStatus() async throws {
        try await withPage { client in
            let reply = try await client.send(.get, "/ui/missing.js")
            #expect(reply.status == 404 && reply.errorStatus == "NOT_FOUND")
            #expect(reply.body.contains("missing.js"))
        }
    }
}
