import FlintCore
import Foundation

/// Built-in logic that rides on the trigger runtime (the Customer Intelligence Engine is one):
/// it registers in-process triggers at start and may serve emulator endpoints of its own.
public protocol FlintExtension: Sendable {
    /// Registers triggers (and starts any scheduled work) before delivery starts.
    func install(_ runtime: TriggerRuntime) throws
    /// Serves `METHOD /emulator/v1/{path…}` if the route is its own: a JSON body, or nil to pass.
    /// Throw `FirestoreError`s for bad input.
    func handle(method: String, path: [String], query: [String: String], body: Data) async throws -> Data?
    /// Fields of its own documents that need no index (set on the store before it serves).
    var indexExemptions: IndexExemptions { get }
}

extension FlintExtension {
    public var indexExemptions: IndexExemptions { IndexExemptions() }
}
