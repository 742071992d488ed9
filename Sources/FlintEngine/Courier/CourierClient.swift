import AsyncHTTPClient
import FlintCore
import Foundation
import NIOCore

/// What the engine sends a courier to book one shipment.
struct BookingRequest: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        var productId: String
        var qty: Int64
        var price: Double?
    }
    var orderId: String
    /// The order's full document name: also the `Idempotency-Key` header, so a courier can refuse
    /// a second booking of the same order (Flint books an order once, but a crash between the
    /// courier's answer and storing its awb repeats the request on restart).
    var reference: String
    var courier: String
    var customerPhone: String
    var customerName: String?
    var total: Double
    var items: [Item]
    var shippingAddress: [String: String]
}

/// Books shipments over HTTP with AsyncHTTPClient's shared client (it lives as long as the
/// process, so a booking still running while the dispatcher drains at shutdown can finish).
struct CourierClient: Sendable {
    var timeout: Duration = .seconds(30)

    /// POSTs the booking; returns the courier's awb. Throws UNAVAILABLE naming the URL and what
    /// went wrong (a refused connection, a non-2xx status with its body, an answer without an awb).
    func book(url: String, authKey: String?, _ booking: BookingRequest) async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: booking.reference)
        if let authKey { request.headers.add(name: "Authorization", value: "Token \(authKey)") }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        request.body = .bytes(ByteBuffer(bytes: try encoder.encode(booking)))
        let what = "booking order \(booking.orderId) with \(booking.courier) at \(url)"
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .microseconds(Timestamps.micros(timeout)))
            body = try await response.body.collect(upTo: 1 << 20)
        } catch {
            throw FirestoreError(.unavailable, "\(what) failed: \(error)")
        }
        let text = String(buffer: body)
        guard (200..<300).contains(response.status.code) else {
            throw FirestoreError(
                .unavailable, "\(what) failed: HTTP \(response.status.code)\(text.isEmpty ? "" : ": \(text.prefix(300))")")
        }
        guard let awb = Self.awb(in: Data(body.readableBytesView)) else {
            throw FirestoreError(.unavailable, "\(what): the answer (HTTP \(response.status.code)) names no awb: \(text.prefix(300))")
        }
        return awb
    }

    /// The awb of a booking answer: `awb`, `waybill`, or `packages[0].waybill` (Delhivery's form),
    /// a string or a whole number.
    static func awb(in data: Data) -> String? {
        guard let answer = try? JSONDecoder().decode(BookingAnswer.self, from: data) else { return nil }
        return answer.awb?.text ?? answer.waybill?.text ?? answer.packages?.first.flatMap { $0.waybill?.text ?? $0.awb?.text }
    }

}

/// The parts of a booking answer that may carry the awb.
private struct BookingAnswer: Decodable {
    struct Package: Decodable {
        var waybill: Waybill?
        var awb: Waybill?
    }
    var awb: Waybill?
    var waybill: Waybill?
    var packages: [Package]?

    private enum Keys: String, CodingKey { case awb, waybill, packages }

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        awb = try? c.decodeIfPresent(Waybill.self, forKey: .awb)
        waybill = try? c.decodeIfPresent(Waybill.self, forKey: .waybill)
        packages = try? c.decodeIfPresent([Package].self, forKey: .packages)
    }
}

/// An awb written as a non-empty string (at most 200 characters) or a whole number.
private struct Waybill: Decodable {
    var text: String?

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let s = try? c.decode(String.self) {
            text = s.isEmpty || s.count > 200 ? nil : s
        } else if let n = try? c.decode(Int64.self) {
            text = String(n)
        } else {
            text = nil
        }
    }
}
