import FlintCore
import Foundation
import Synchronization

/// One WebChannel session: the client's messages in (forward channel, in sequence order), the
/// server's arrays out (back channel), kept until the client acknowledges them so a reconnecting
/// back channel resends what was lost.
public final class WebChannelSession: Sendable {
    public let id: String
    let kind: WebChannelStreamKind
    /// The messages the client sent, in order, for the stream that serves this session.
    let requests: AsyncStream<WebChannelRequest>
    private let requestSink: AsyncStream<WebChannelRequest>.Continuation
    private let state: Mutex<State>
    /// Arrays a session may hold unsent before it is closed as too slow a reader.
    let outgoingLimit: Int
    /// Sent but unacknowledged arrays kept for a back channel that reconnects.
    static let keptSent = 2_000

    /// How the session hands arrays to its back channel.
    enum Bell: Sendable { case data, keepalive, shutdown }

    struct State {
        /// The id of the last array added (the handshake's is 0).
        var lastArrayID = 0
        /// Arrays not yet acknowledged: (id, JSON payload).
        var outgoing: [(id: Int, payload: String)] = []
        /// The sequence number of the next client message expected (retries resend earlier ones).
        var nextOffset = 0
        /// The attached back channel: its generation and its doorbell.
        var backChannel: (generation: Int, bell: AsyncStream<Bell>.Continuation)?
        /// When the attached back channel's keepalive is next due, and how often it comes.
        var keepaliveDue = ContinuousClock.now
        var keepaliveEvery: Duration = .seconds(15)
        /// The last array written to a back channel (a new back channel starts from its AID).
        var sentThrough = 0
        var generation = 0
        var lastActivity = ContinuousClock.now
        var closed = false
    }

    init(id: String, kind: WebChannelStreamKind, outgoingLimit: Int) {
        self.id = id
        self.kind = kind
        self.outgoingLimit = outgoingLimit
        (requests, requestSink) = AsyncStream.makeStream(of: WebChannelRequest.self)
        state = Mutex(State())
    }

    // MARK: forward channel

    /// Takes a forward request's messages (`offset` is the first one's sequence number), skipping
    /// those already taken from an earlier try of the same request. Returns the answer's figures.
    func receive(_ messages: [WebChannelRequest], offset: Int, acknowledging aid: Int?) throws(FirestoreError)
        -> (backChannelPresent: Bool, lastArrayID: Int, outstandingBytes: Int)
    {
        let (fresh, answer) = try state.withLock {
            (s) throws(FirestoreError) -> (ArraySlice<WebChannelRequest>, (Bool, Int, Int)) in
            s.lastActivity = .now
            if let aid { Self.acknowledge(aid, in: &s) }
            if offset > s.nextOffset {
                throw FirestoreError.invalidArgument(
                    "WebChannel forward request skips messages: ofs=\(offset), expected \(s.nextOffset).")
            }
            let skip = min(s.nextOffset - offset, messages.count)
            s.nextOffset = max(s.nextOffset, offset + messages.count)
            let outstanding = s.outgoing[Self.firstUnsent(s)...].reduce(0) { $0 + $1.payload.utf8.count }
            return (messages[skip...], (s.backChannel != nil, s.lastArrayID, outstanding))
        }
        // Messages to a session whose stream has ended go nowhere (its end is on the back channel).
        for message in fresh { requestSink.yield(message) }
        return answer
    }

    // MARK: back channel

    /// Queues one array for the client; false once the session has ended or its reader fell too
    /// far behind.
    @discardableResult
    func send(_ payload: String) -> Bool {
        state.withLock { s in
            if s.closed { return false }
            if s.lastArrayID - s.sentThrough >= outgoingLimit { return false }
            s.lastArrayID += 1
            s.outgoing.append((s.lastArrayID, payload))
            s.backChannel?.bell.yield(.data)
            return true
        }
    }

    /// Attaches a new back channel (replacing any other) that resends everything after `aid` and
    /// is rung every `keepalive` (by the sessions' clock, `ringKeepaliveIfDue`).
    func attach(acknowledging aid: Int?, keepalive: Duration) throws(FirestoreError)
        -> (generation: Int, bell: AsyncStream<Bell>)
    {
        let (bell, ring) = AsyncStream.makeStream(of: Bell.self, bufferingPolicy: .bufferingNewest(1))
        let generation = try state.withLock { (s) throws(FirestoreError) in
            if let aid { Self.acknowledge(aid, in: &s) }
            // An ended session still hands over what it has left (the stream's error, say).
            if s.closed && s.outgoing.isEmpty { throw FirestoreError(.notFound, "Unknown SID: the session has ended.") }
            s.lastActivity = .now
            s.backChannel?.bell.finish()
            s.generation += 1
            s.backChannel = (s.generation, ring)
            s.keepaliveEvery = keepalive
            s.keepaliveDue = .now + keepalive
            s.sentThrough = aid ?? 0
            return s.generation
        }
        ring.yield(.data)
        return (generation, bell)
    }

    /// The arrays the back channel `generation` has not sent yet, marked as sent; `noop` adds a
    /// keepalive when there is nothing else. Nil once this back channel was replaced or the
    /// session ended with nothing left to send.
    func take(_ generation: Int, noop: Bool) -> (arrays: [(id: Int, payload: String)], closed: Bool)? {
        state.withLock { s in
            guard let channel = s.backChannel, channel.generation == generation else { return nil }
            s.lastActivity = .now
            let start = Self.firstUnsent(s)
            if start == s.outgoing.endIndex {
                if s.closed { return nil }
                if !noop { return ([], false) }
                s.lastArrayID += 1
                s.outgoing.append((s.lastArrayID, WebChannelWire.noop))
            }
            let pending = Array(s.outgoing[start...])
            s.sentThrough = pending.last!.id
            // A listener that never posts never acknowledges: keep only the latest sent arrays
            // for a reconnecting back channel to resend (dropped in batches, so a long-lived
            // listener does not shift the whole list on every message).
            if s.outgoing.count > Self.keptSent + Self.keptSent / 2 {
                s.outgoing.removeFirst(s.outgoing.count - Self.keptSent)
            }
            return (pending, s.closed)
        }
    }

    /// Rings the attached back channel's keepalive when it is due. One clock for all sessions
    /// instead of a sleeping task per back channel: a cancelled sleep stays allocated until its
    /// deadline, which kept a burst of ended sessions' memory from going back to the system.
    func ringKeepaliveIfDue(_ now: ContinuousClock.Instant) {
        state.withLock { s in
            guard let channel = s.backChannel, now >= s.keepaliveDue else { return }
            s.keepaliveDue = now + s.keepaliveEvery
            channel.bell.yield(.keepalive)
        }
    }

    /// Wakes the back channel `generation` (the server is shutting down).
    func ring(_ generation: Int, _ bell: Bell) {
        state.withLock { s in
            if let channel = s.backChannel, channel.generation == generation { channel.bell.yield(bell) }
        }
    }

    /// The back channel `generation` ended (the response finished or the client went away).
    func detach(_ generation: Int) {
        state.withLock { s in
            guard let channel = s.backChannel, channel.generation == generation else { return }
            channel.bell.finish()
            s.backChannel = nil
            s.lastActivity = .now
        }
    }

    private static func acknowledge(_ aid: Int, in s: inout State) {
        s.outgoing.removeFirst(firstIndex(after: aid, in: s.outgoing))
    }

    /// The index of the first array not yet written to the back channel.
    private static func firstUnsent(_ s: State) -> Int { firstIndex(after: s.sentThrough, in: s.outgoing) }

    /// The index of the first array whose id is above `id` (`outgoing` is in id order).
    private static func firstIndex(after id: Int, in outgoing: [(id: Int, payload: String)]) -> Int {
        var (low, high) = (0, outgoing.count)
        while low < high {
            let mid = (low + high) / 2
            if outgoing[mid].id > id { high = mid } else { low = mid + 1 }
        }
        return low
    }

    // MARK: lifetime

    /// Ends the session: the stream sees the end of the client's messages, and the back channel
    /// finishes once it has sent what is queued.
    func close() {
        let bell = state.withLock { s -> AsyncStream<Bell>.Continuation? in
            if s.closed { return nil }
            s.closed = true
            return s.backChannel?.bell
        }
        requestSink.finish()
        bell?.yield(.data)
    }

    var isClosed: Bool { state.withLock { $0.closed } }

    /// Whether the session can go: no back channel attached, and either nothing has touched it for
    /// `idle`, or its stream has ended and everything it had to say was sent.
    func isReclaimable(idle: Duration, now: ContinuousClock.Instant) -> Bool {
        state.withLock { s in
            guard s.backChannel == nil else { return false }
            return now - s.lastActivity > idle || (s.closed && Self.firstUnsent(s) == s.outgoing.endIndex)
        }
    }
}
