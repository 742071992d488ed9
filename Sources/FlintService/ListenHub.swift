import FlintCore
import FlintProto
import Synchronization

/// Serves Listen streams: one commit observer on the service fans every commit out to the open
/// streams' inboxes, so changes reach listeners as soon as they are committed.
public final class ListenHub: Sendable {
    /// Document changes a stream may have waiting before it is closed with RESOURCE_EXHAUSTED.
    public static let defaultBufferLimit = 10_000

    let service: FirestoreService
    let bufferLimit: Int
    private let inboxes = Mutex<[ObjectIdentifier: ListenInbox]>([:])

    public init(service: FirestoreService, bufferLimit: Int = ListenHub.defaultBufferLimit) {
        self.service = service
        self.bufferLimit = bufferLimit
        service.observeCommits { [weak self] record in self?.publish(record) }
    }

    /// How many streams are open (for tests and diagnostics).
    public var openStreams: Int { inboxes.withLock { $0.count } }

    /// Opens a stream; `defaultDatabase` names the database when requests leave it empty, and
    /// `context` is the caller, whose targets the security rules judge.
    public func open(
        defaultDatabase: String? = nil, context: CallContext
    ) -> ListenStream {
        let inbox = ListenInbox(limit: bufferLimit)
        inboxes.withLock { $0[ObjectIdentifier(inbox)] = inbox }
        return ListenStream(hub: self, inbox: inbox, defaultDatabase: defaultDatabase, context: context)
    }

    func close(_ inbox: ListenInbox) {
        inbox.close()
        _ = inboxes.withLock { $0.removeValue(forKey: ObjectIdentifier(inbox)) }
    }

    private func publish(_ record: CommitRecord) {
        for inbox in inboxes.withLock({ Array($0.values) }) { inbox.deliver(record) }
    }
}

/// One Listen stream: reads the client's requests, and answers them and the commits that touch
/// its targets, in order, until the client half-closes, cancels, or falls too far behind.
public final class ListenStream: Sendable {
    let hub: ListenHub
    let inbox: ListenInbox
    let defaultDatabase: String?
    let context: CallContext

    init(hub: ListenHub, inbox: ListenInbox, defaultDatabase: String?, context: CallContext) {
        self.hub = hub
        self.inbox = inbox
        self.defaultDatabase = defaultDatabase
        self.context = context
    }

    private enum Finished { case requests, processing, failure }

    /// Runs the stream; `send` delivers each batch of responses (it may wait for the client).
    public func run<Requests: AsyncSequence & Sendable>(
        _ requests: Requests, send: @escaping @Sendable ([Google_Firestore_V1_ListenResponse]) async throws -> Void
    ) async throws where Requests.Element == Google_Firestore_V1_ListenRequest {
        defer { hub.close(inbox) }
        let (inbox, service, defaultDatabase, context) = (self.inbox, hub.service, self.defaultDatabase, self.context)
        try await withThrowingTaskGroup(of: Finished.self) { group in
            group.addTask {
                do {
                    for try await request in requests { inbox.push(.request(request)) }
                    inbox.push(.requestsEnded)
                } catch {
                    inbox.fail(FirestoreError(.cancelled, "The client's request stream failed: \(error)"))
                }
                return .requests
            }
            group.addTask {
                var state = ListenState(service: service, inbox: inbox, defaultDatabase: defaultDatabase, context: context)
                while let event = try await inbox.next() {
                    let responses = try await state.handle(event)
                    if !responses.isEmpty { try await send(responses) }
                    if case .requestsEnded = event { break }
                }
                return .processing
            }
            // Interrupts a `send` that waits on a client that stopped reading.
            group.addTask {
                try await inbox.untilFailed()
                return .failure
            }
            while let finished = try await group.next() {
                if finished == .processing { break }
            }
            group.cancelAll()
        }
    }

    /// Ends the stream with `error` (the call was cancelled, or its deadline passed).
    public func cancel(_ error: FirestoreError) { inbox.fail(error) }
}
