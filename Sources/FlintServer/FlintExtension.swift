import FlintCore
import FlintREST
import FlintTriggers
import Hummingbird
import ServiceLifecycle

/// Built-in logic that rides on Flint (the Customer Intelligence Engine is one): in-process
/// triggers, long-running work, emulator routes of its own, and fields its documents leave
/// unindexed.
public protocol FlintExtension: Sendable {
    /// Fields of its own documents that need no index (set on the store before it serves).
    var indexExemptions: IndexExemptions { get }
    /// Registers its triggers before delivery starts; returns the services it needs run.
    func install(on runtime: TriggerRuntime) throws -> [any Service]
    /// Adds its routes to the `/emulator/v1` group.
    func addRoutes(to emulator: RouterGroup<FlintRequestContext>)
    /// Adds routes outside `/emulator/v1` (a page of its own).
    func addRootRoutes(to router: Router<FlintRequestContext>)
}

extension FlintExtension {
    public var indexExemptions: IndexExemptions { IndexExemptions() }
    public func addRoutes(to emulator: RouterGroup<FlintRequestContext>) {}
    public func addRootRoutes(to router: Router<FlintRequestContext>) {}
}

/// The request context of every Flint route.
public typealias FlintRequestContext = BasicRequestContext
