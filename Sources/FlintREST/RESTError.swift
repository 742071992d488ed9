import FlintCore
import Foundation
import Hummingbird

/// The one place a FirestoreError becomes an HTTP response: `{"error":{code,message,status}}`.
enum RESTError {
    static func response(_ error: FirestoreError) -> Response {
        let status = error.code.httpStatus
        let body = "{\"error\":{\"code\":\(status),\"message\":\(jsonString(error.message)),\"status\":\"\(error.code.name)\"}}"
        return Response(
            status: .init(code: status),
            headers: [.contentType: "application/json; charset=UTF-8"],
            body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// Any error thrown while serving: ours pass through, everything else is an INTERNAL error.
    static func response(for error: any Error) -> Response {
        if let error = error as? FirestoreError { return response(error) }
        if error is CancellationError { return response(FirestoreError(.cancelled, "The request was cancelled.")) }
        return response(FirestoreError(.internal, "Internal error: \(error)"))
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
