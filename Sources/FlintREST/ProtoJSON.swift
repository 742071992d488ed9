import FlintCore
import FlintProto
import Foundation
import Hummingbird
import SwiftProtobuf

/// Protobuf JSON in and out of REST bodies, with the client tolerance the wire reference lists
/// (camelCase or snake_case, enum names or numbers, int64 as strings or numbers, NaN/Infinity).
enum ProtoJSON {
    static let decoding: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        return options
    }()

    static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, from body: ByteBuffer) throws -> M {
        let bytes = Array(body.readableBytesView)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return M() }
        do {
            return try M(jsonUTF8Bytes: bytes, options: decoding)
        } catch {
            let reason = describe(error)
            let sentence = reason.prefix(1).uppercased() + String(reason.dropFirst())
            throw FirestoreError.invalidArgument("\(payloadInvalid) \(sentence).")
        }
    }

    /// A request body's document: read directly when it has the plain form, else as any message.
    static func decodeDocument(from body: ByteBuffer) throws -> Google_Firestore_V1_Document {
        if let d = body.withUnsafeReadableBytes({ DocumentJSON.parse($0) }) { return d }
        return try decode(Google_Firestore_V1_Document.self, from: body)
    }

    /// The official emulator's text for a body that does not parse as the request message.
    static let payloadInvalid = "Payload isn't valid for request."

    static func describe(_ error: any Error) -> String {
        if let e = error as? SwiftProtobuf.JSONDecodingError {
            switch e {
            case .unknownField(let name): return "unknown field \"\(name)\""
            case .malformedNumber: return "a malformed number"
            case .malformedString: return "a malformed string"
            case .malformedBool: return "a malformed boolean"
            case .unrecognizedEnumValue: return "an unknown enum value"
            case .missingFieldNames: return "an object without field names"
            case .truncated: return "the JSON text ends early"
            case .trailingGarbage: return "text after the JSON value"
            case .failure: return "it is not valid JSON"
            case .numberRange: return "a number out of range"
            case .malformedTimestamp, .malformedDuration: return "a malformed timestamp"
            case .leadingZero: return "a number with a leading zero"
            case .conflictingOneOf: return "two values set in one oneof (e.g. two value kinds)"
            default: return "\(e)"
            }
        }
        return "\(error)"
    }

    struct Style {
        var enumsAsInts = false
    }

    static func encode<M: SwiftProtobuf.Message>(_ message: M, style: Style) throws -> ByteBuffer {
        var options = JSONEncodingOptions()
        options.alwaysPrintEnumsAsInts = style.enumsAsInts
        let bytes: [UInt8] = try message.jsonUTF8Bytes(options: options)
        return ByteBuffer(bytes: bytes)
    }

    /// A document, the answer of every single-document call: written directly when it can be.
    static func encode(document: Google_Firestore_V1_Document, style: Style) throws -> ByteBuffer {
        if let bytes = DocumentJSON.encode(document) { return ByteBuffer(bytes: bytes) }
        return try encode(document, style: style)
    }

    /// A streamed REST answer: exactly `[` elements joined by `,` `]`, nothing before or after.
    static func encodeArray<M: SwiftProtobuf.Message>(_ messages: [M], style: Style) throws -> ByteBuffer {
        var options = JSONEncodingOptions()
        options.alwaysPrintEnumsAsInts = style.enumsAsInts
        var out = ByteBuffer()
        out.writeInteger(UInt8(ascii: "["))
        for (i, m) in messages.enumerated() {
            if i > 0 { out.writeInteger(UInt8(ascii: ",")) }
            let bytes: [UInt8] = try m.jsonUTF8Bytes(options: options)
            out.writeBytes(bytes)
        }
        out.writeInteger(UInt8(ascii: "]"))
        return out
    }
}
