import FlintCore
import FlintServer
import FlintTriggers
import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization
import Testing

/// An extension that watches `slow/{id}` with a handler taking `delay`, and runs a service of its
/// own; it records what ran, and `weak` references tell whether anything outlived the application.
final class ProbeExtension: FlintExtension {
    let delay: Duration
    let handled = Mutex<[String]>([])
    let serviceRan = Atomic<Bool>(false)
    let serviceStopped = Atomic<Bool>(false)
    nonisolated(unsafe) weak var runtime: TriggerRuntime?

    init(delay: Duration) { self.delay = delay }

    func install(on runtime: TriggerRuntime) throws -> [any Service] {
        self.runtime = runtime
        try runtime.onDocumentCreated("slow/{id}") { [self] event, _ in
            try await Task.sleep(for: delay)
            handled.withLock { $0.append(event.path.lastSegment) }
        }
        return [ProbeService(probe: self)]
    }

    struct ProbeService: Service {
        let probe: ProbeExtension
        func run() async throws {
            probe.serviceRan.store(true, ordering: .relaxed)
            try? await gracefulShutdown()
            probe.serviceStopped.store(true, ordering: .relaxed)
        }
    }
}

@Suite("Application lifecycle")
struct ApplicationLifecycleTests {
    func configuration(_ probe: ProbeExtension, grace: Duration = .seconds(10)) -> FlintConfiguration {
        var configuration = FlintConfiguration(host: "127.0.0.1", port: 0)
        configuration.extensions = [probe]
        configuration.triggers.shutdownGrace = grace
        return configuration
    }

    @Test func gracefulShutdownDeliversEveryEventInFlightBeforeItEnds() async throws {
        let probe = ProbeExtension(delay: .milliseconds(200))
        try await TestServer.with(configuration(probe)) { server in
            for i in 0..<40 {
                let reply = try await server.send(.POST, docs("p") + "/slow?documentId=d\(i)", body: "{}")
                #expect(reply.status == 200)
            }
            #expect(probe.handled.withLock { $0.count } < 40, "deliveries must still be running at shutdown")
        }
        #expect(probe.handled.withLock { Set($0) } == Set((0..<40).map { "d\($0)" }))
    }

    @Test func anApplicationThatWasShutDownLeavesNothingRunningOrReferenced() async throws {
        weak var weakProbe: ProbeExtension?
        weak var weakRuntime: TriggerRuntime?
        do {
            let probe = ProbeExtension(delay: .milliseconds(1))
            weakProbe = probe
            try await TestServer.with(configuration(probe)) { server in
                _ = try await server.send(.POST, docs("p") + "/slow?documentId=d", body: "{}")
                _ = try await server.send(.POST, "/emulator/v1/triggers:waitForIdle")
            }
            weakRuntime = probe.runtime
            #expect(probe.serviceRan.load(ordering: .relaxed) && probe.serviceStopped.load(ordering: .relaxed))
            #expect(probe.handled.withLock { $0 } == ["d"])
        }
        // Every task the application started has ended: none holds the trigger runtime (and
        // through its handlers the probe) any more.
        #expect(weakRuntime == nil)
        #expect(weakProbe == nil)
    }

    @Test func pastTheGraceShutdownStopsWhatIsLeftInsteadOfWaiting() async throws {
        let probe = ProbeExtension(delay: .seconds(30))
        let started = ContinuousClock.now
        try await TestServer.with(configuration(probe, grace: .milliseconds(100))) { server in
            _ = try await server.send(.POST, docs("p") + "/slow?documentId=d", body: "{}")
        }
        #expect(probe.handled.withLock { $0.isEmpty })
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
