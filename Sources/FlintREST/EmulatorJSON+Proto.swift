import Foundation
import Hummingbird
import SwiftProtobuf

extension EmulatorJSON {
    /// A message in the REST API's JSON form, as a JSON object to put inside an emulator answer.
    public static func object<M: SwiftProtobuf.Message>(_ message: M) throws -> Any {
        let bytes: [UInt8] = try message.jsonUTF8Bytes()
        return try JSONSerialization.jsonObject(with: Data(bytes))
    }

    /// An answer built from JSON objects (`JSONSerialization`), keys sorted.
    public static func response(object: Any) throws -> Response {
        response(data: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
    }
}
