import FlintCore
import Foundation

extension DocumentSnapshot {
    /// `fields` in stored form.
    func encoded() throws -> Data { try encodedFields ?? PreparedFields.encode(fields) }
}
