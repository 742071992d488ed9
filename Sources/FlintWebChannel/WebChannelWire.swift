import FlintCore
import Foundation

/// The BrowserChannel (WebChannel version 8) wire format: how arrays are framed on the back
/// channel, and how the forward channel's form bodies carry messages and headers.
public enum WebChannelWire {
    /// The protocol version this server speaks (`VER`).
    public static let version = 8
    /// The server version the handshake reports.
    static let serverVersion = 12

    /// One chunk of a response: the length of `json` in UTF-16 code units (what the client's
    /// `String.length` counts), a newline, then `json`.
    public static func frame(_ json: String) -> String {
        "\(json.utf16.count)\n\(json)"
    }

    /// A batch of arrays as the back channel carries them: `[[id,payload],…]`.
    static func batch(_ arrays: [(id: Int, payload: String)]) -> String {
        "[" + arrays.map { "[\($0.id),\($0.payload)]" }.joined(separator: ",") + "]"
    }

    /// The handshake's first array: `["c", sid, hostPrefix, version, serverVersion, keepaliveMs]`.
    static func created(sessionID: String, keepaliveMilliseconds: Int) -> String {
        "[\"c\",\"\(sessionID)\",\"\",\(version),\(serverVersion),\(keepaliveMilliseconds)]"
    }

    static let noop = "[\"noop\"]"

    /// The answer to a forward-channel POST: `[backChannelPresent, lastArrayId, outstandingBytes]`.
    static func forwardAnswer(backChannelPresent: Bool, lastArrayID: Int, outstandingBytes: Int) -> String {
        "[\(backChannelPresent ? 1 : 0),\(lastArrayID),\(outstandingBytes)]"
    }

    /// A forward-channel body: `count`, `ofs`, `req{N}___data__` (the messages' JSON), and the
    /// handshake's `headers` (CRLF-separated `Name:value` lines).
    public struct ForwardBody: Sendable, Equatable {
        /// The sequence number of the first message (retries resend the same one).
        public var offset: Int
        public var messages: [String]
        public var headers: [String: String]

        /// Parses an `application/x-www-form-urlencoded` body; an empty body carries no messages.
        public init(form: String) throws(FirestoreError) {
            let fields = WebChannelWire.formFields(form)
            headers = fields["headers"].map(WebChannelWire.headerLines) ?? [:]
            guard let countText = fields["count"] else {
                if fields.isEmpty || fields.keys.allSatisfy({ $0 == "headers" }) {
                    offset = 0
                    messages = []
                    return
                }
                throw .invalidArgument("WebChannel forward request has no \"count\" field.")
            }
            guard let count = Int(countText), (0...10_000).contains(count) else {
                throw .invalidArgument("WebChannel forward request has an invalid \"count\": \(countText).")
            }
            if count == 0 {
                offset = Int(fields["ofs"] ?? "0") ?? 0
                messages = []
                return
            }
            guard let ofsText = fields["ofs"], let ofs = Int(ofsText), ofs >= 0 else {
                throw .invalidArgument("WebChannel forward request has no valid \"ofs\" field.")
            }
            offset = ofs
            messages = try (0..<count).map { (i) throws(FirestoreError) in
                guard let data = fields["req\(i)___data__"] else {
                    throw .invalidArgument("WebChannel forward request says count=\(count) but has no req\(i)___data__.")
                }
                return data
            }
        }
    }

    /// Decodes form fields (`+` is a space); the last of a repeated name wins.
    static func formFields(_ form: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in form.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decodeComponent(parts[0])
            out[name] = parts.count > 1 ? decodeComponent(parts[1]) : ""
        }
        return out
    }

    static func decodeComponent(_ s: Substring) -> String {
        let spaced = s.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    /// `Name:value` lines separated by CRLF (the `headers` field and the `$httpHeaders` parameter),
    /// with lower-cased names.
    static func headerLines(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { out[name] = value }
        }
        return out
    }
}
