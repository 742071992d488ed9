import FlintCore
import Foundation

/// Shipping addresses as the profile keeps them: `defaultAddress` and `savedAddresses`.
enum Address {
    /// Two addresses are the same place when their fields other than `label` agree, ignoring case
    /// and surrounding spaces ("Home" and "home" at 23 Model Town are one address).
    static func key(_ value: FirestoreValue) -> [String: String]? {
        guard let fields = value.mapFields else { return nil }
        var key: [String: String] = [:]
        for (name, v) in fields where name != "label" {
            let text = v.string.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                ?? v.count.map { String($0) } ?? "\(v)"
            if !text.isEmpty { key[name] = text }
        }
        return key
    }

    /// The profile's savedAddresses with `address` appended, or nil when the profile already holds it.
    static func saving(_ address: FirestoreValue, in profile: Fields) -> FirestoreValue? {
        guard let new = key(address), !new.isEmpty else { return nil }
        let saved = profile["savedAddresses"]?.arrayElements ?? []
        let known = ([profile["defaultAddress"]].compactMap { $0 } + saved).compactMap(key)
        if known.contains(new) { return nil }
        // A savedAddresses that is not a list (written by hand) is left alone.
        if profile["savedAddresses"] != nil, profile["savedAddresses"]?.arrayElements == nil { return nil }
        return .array(saved + [address])
    }
}
