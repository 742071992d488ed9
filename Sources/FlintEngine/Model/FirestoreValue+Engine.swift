import FlintCore
import Foundation

/// Reading the loosely typed fields of orders and profiles.
extension FirestoreValue {
    var number: Double? {
        switch valueType {
        case .integerValue(let i): Double(i)
        case .doubleValue(let d): d.isFinite ? d : nil
        default: nil
        }
    }

    /// A whole number in ±10^15 (counts, scores, quantities): larger or fractional values are not
    /// counts, and refusing them keeps the arithmetic on them from overflowing.
    var count: Int64? {
        guard let d = number, d == d.rounded(), abs(d) <= 1e15 else { return nil }
        if case .integerValue(let i) = valueType { return i }
        return Int64(d)
    }

    var isInteger: Bool {
        if case .integerValue = valueType { return true }
        return false
    }

    var isDouble: Bool {
        if case .doubleValue = valueType { return true }
        return false
    }

    var string: String? {
        if case .stringValue(let s) = valueType { return s }
        return nil
    }

    var bool: Bool? {
        if case .booleanValue(let b) = valueType { return b }
        return nil
    }

    /// A timestamp, or an RFC 3339 string, in microseconds since the epoch.
    var micros: Int64? {
        switch valueType {
        case .timestampValue(let t): t.micros
        case .stringValue(let s): EngineTime.parse(s)
        default: nil
        }
    }

    static func timestamp(micros: Int64) -> FirestoreValue { .timestamp(ProtoTimestamp(micros: micros)) }

    /// Rates, day counts and means: a double rounded to 2 decimals.
    static func rounded(_ d: Double) -> FirestoreValue { .double(round2(d)) }

    /// A sum of money: an integer when every amount in it was one (a client that wrote
    /// `total: 1400` reads back an integer), else a double rounded to 2 decimals.
    static func money(_ d: Double, integral: Bool) -> FirestoreValue {
        integral && d == d.rounded() && abs(d) < 1e15 ? .integer(Int64(d)) : .double(round2(d))
    }
}

/// Rounds half away from zero to 2 decimals (money and rates).
func round2(_ d: Double) -> Double { (d * 100).rounded() / 100 }

enum EngineTime {
    static let microsPerDay: Double = 86_400_000_000

    /// Microseconds of an RFC 3339 time (`2025-10-10T09:42:00Z`, fractions and offsets allowed).
    static func parse(_ s: String) -> Int64? {
        let plain = Date.ISO8601FormatStyle()
        let fractional = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        guard let date = (try? plain.parse(s)) ?? (try? fractional.parse(s)) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
    }

    static func days(_ micros: Int64) -> Double { Double(micros) / microsPerDay }
    /// Clamped to ±10,000 years, so absurd day counts cannot overflow.
    static func micros(days: Double) -> Int64 {
        let limit = 10_000 * 366 * microsPerDay
        return Int64(min(limit, max(-limit, (days * microsPerDay).rounded())))
    }
}
