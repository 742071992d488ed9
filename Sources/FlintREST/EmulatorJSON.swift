import FlintCore
import Foundation
import Hummingbird

/// The request size limit of every REST and emulator route (production's).
public let maxRequestBytes = 10 * 1024 * 1024

extension Request {
    /// The whole body, refused past `maxRequestBytes`.
    public func collectBody() async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: maxRequestBytes)
        } catch {
            throw FirestoreError.invalidArgument("Request payload size exceeds the limit: \(maxRequestBytes) bytes.")
        }
    }

    /// The body as a JSON object, or INVALID_ARGUMENT.
    public func jsonObject() async throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: try await collectBody())) as? [String: Any]
        else { throw FirestoreError.invalidArgument("Payload isn't valid for request: expected a JSON object.") }
        return object
    }

    /// The body decoded as `T` (an empty body as `{}`), or INVALID_ARGUMENT with `expected` as the message.
    public func decodeJSON<T: Decodable>(_ type: T.Type, expected: String) async throws -> T {
        let data = Data(buffer: try await collectBody())
        do {
            return try JSONDecoder().decode(T.self, from: data.isEmpty ? Data("{}".utf8) : data)
        } catch {
            throw FirestoreError.invalidArgument(expected)
        }
    }

    /// A query parameter by name (the last one wins).
    public func query(_ name: String) -> String? { uri.queryParameters.getAll(name).last }
}

/// The emulator endpoints' JSON answers.
public enum EmulatorJSON {
    public static func response<T: Encodable>(_ value: T) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return response(data: try encoder.encode(value))
    }

    public static func response(data: Data) -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=UTF-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// `{}`.
    public static var empty: Response { response(data: Data("{}".utf8)) }

    public static func text(_ s: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: s)))
    }
}
