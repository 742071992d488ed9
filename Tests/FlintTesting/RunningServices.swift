import Logging
import ServiceLifecycle

/// Runs `services` in a service group while `body` runs, then shuts them down gracefully and
/// waits until every one has returned.
public func withRunningServices<T: Sendable>(
    _ services: [any Service], _ body: () async throws -> T
) async throws -> T {
    let group = ServiceGroup(
        configuration: .init(services: services.map { .init(service: $0) }, logger: Logger(label: "flint.test")))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        do {
            let value = try await body()
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return value
        } catch {
            await group.triggerGracefulShutdown()
            try? await tasks.waitForAll()
            throw error
        }
    }
}
