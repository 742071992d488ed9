import FlintCore
@testable import FlintStore
import Foundation
import Testing

@Suite("Vectors read from stored bytes")
struct EncodedVectorTests {
    /// What decoding the whole document would answer.
    static func decoded(_ fields: Fields, _ path: FieldPath) -> EncodedVector.Peek {
        fields.value(at: path)?.vectorDoubles.map { .vector($0) } ?? .none
    }

    static func peek(_ fields: Fields, _ path: FieldPath) throws -> EncodedVector.Peek? {
        EncodedVector.peek(path, in: try PreparedFields.encode(fields))
    }

    static let shapes: [(String, FirestoreValue)] = [
        ("vector", N.vector(1, -2.5, 0, .infinity)),
        ("integers", .map(["__type__": .string("__vector__"), "value": .array([.integer(3), .integer(-4)])])),
        ("mixed", .map(["__type__": .string("__vector__"), "value": .array([.double(1), .string("x")])])),
        ("empty", .map(["__type__": .string("__vector__"), "value": .array([])])),
        ("no value", .map(["__type__": .string("__vector__")])),
        ("value not array", .map(["__type__": .string("__vector__"), "value": .double(1)])),
        ("other type", .map(["__type__": .string("__other__"), "value": .array([.double(1)])])),
        ("type not string", .map(["__type__": .integer(1), "value": .array([.double(1)])])),
        ("extra entry", .map(["__type__": .string("__vector__"), "value": .array([.double(1)]), "x": .null])),
        ("array", .array([.double(1), .double(2)])),
        ("plain map", .map(["a": .double(1)])),
        ("string", .string("__vector__")),
        ("null", .null),
        ("empty map", .map([:])),
    ]

    @Test func answersAsDecodingWouldForEveryShape() throws {
        for (label, value) in Self.shapes {
            let fields: Fields = ["v": value, "other": .string("x"), "m": .map(["v": value, "n": .integer(1)])]
            for path in [FieldPath(["v"]), FieldPath(["m", "v"]), FieldPath(["missing"]), FieldPath(["m", "missing"]),
                         FieldPath(["other", "v"]), FieldPath(["v", "value"])] {
                #expect(try Self.peek(fields, path) == Self.decoded(fields, path), "\(label) at \(path)")
            }
        }
    }

    @Test func readsALargeVectorExactly() throws {
        let numbers = (0..<256).map { Double(($0 * 7919) % 1000) / 997 - 0.5 }
        let fields: Fields = ["embedding": N.vector(numbers), "category": .string("c3")]
        #expect(try Self.peek(fields, FieldPath(["embedding"])) == .vector(numbers))
    }

    @Test func anEmptyDocumentHoldsNoVector() throws {
        #expect(try Self.peek([:], FieldPath(["v"])) == EncodedVector.Peek.none)
    }

    @Test func malformedBytesAreNotGuessed() {
        #expect(EncodedVector.peek(FieldPath(["v"]), in: Data([0x0A, 0x7F, 0x01])) == nil)
        #expect(EncodedVector.peek(FieldPath(["v"]), in: Data([0x0A])) == nil)
    }
}
