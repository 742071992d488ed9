import FlintCore
import FlintREST
import FlintServer
import FlintService
import FlintTriggers
import Hummingbird
import ServiceLifecycle
import Synchronization

/// Flint's own page at `/ui/` (data browser, trigger debugger, rule log, CRM health) and the
/// emulator endpoints it reads: the databases holding data, a level of the collection tree with
/// counts, and the dashboard's aggregates.
///
/// An extension like the engine: it needs the service, which it takes when installed.
public final class FlintUI: FlintExtension, Sendable {
    /// Region and courier names the dashboard breaks its totals down by.
    public let dimensions: DashboardDimensions
    let service = Mutex<FirestoreService?>(nil)
    let files: PageFiles

    public init(dimensions: DashboardDimensions = DashboardDimensions()) {
        self.dimensions = dimensions
        self.files = PageFiles.bundled()
    }

    public func install(on runtime: TriggerRuntime) throws -> [any Service] {
        service.withLock { $0 = runtime.service }
        return []
    }

    func requireService() throws -> FirestoreService {
        guard let s = service.withLock({ $0 }) else {
            throw FirestoreError(.failedPrecondition, "The page is not installed on a running server.")
        }
        return s
    }

    public func addRootRoutes(to router: Router<FlintRequestContext>) {
        addPageRoutes(to: router)
    }

    public func addRoutes(to emulator: RouterGroup<FlintRequestContext>) {
        addDataRoutes(to: emulator)
        addDashboardRoutes(to: emulator)
    }
}
