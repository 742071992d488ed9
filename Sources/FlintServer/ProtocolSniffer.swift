import NIOCore

/// What the first bytes of a connection said.
enum WireProtocol: Sendable {
    case http1
    /// HTTP/2 with prior knowledge (h2c): gRPC.
    case http2
}

/// First handler of every accepted connection: holds bytes until they either match the HTTP/2
/// client preface or stop matching it, lets `configure` build the right pipeline, replays what it
/// held into that pipeline and removes itself.
final class ProtocolSniffer<Negotiated: Sendable>: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias Configure = (WireProtocol, any Channel) -> EventLoopFuture<Negotiated>

    static var preface: [UInt8] { Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8) }

    private enum State {
        case sniffing(ByteBuffer?)
        case configuring(held: ByteBuffer, later: [NIOAny])
        case forwarding
    }

    private var state = State.sniffing(nil)
    private let negotiated: EventLoopPromise<Negotiated>
    private let configure: Configure

    init(negotiated: EventLoopPromise<Negotiated>, configure: @escaping Configure) {
        self.negotiated = negotiated
        self.configure = configure
    }

    /// nil while the bytes so far are a strict prefix of the preface.
    static func classify(_ bytes: ByteBuffer) -> WireProtocol? {
        let preface = Self.preface
        let n = min(bytes.readableBytes, preface.count)
        guard let head = bytes.getBytes(at: bytes.readerIndex, length: n) else { return nil }
        if head != Array(preface[0..<n]) { return .http1 }
        return n == preface.count ? .http2 : nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .forwarding:
            context.fireChannelRead(data)
        case .configuring(let held, var later):
            later.append(data)
            state = .configuring(held: held, later: later)
        case .sniffing(let held):
            var incoming = unwrapInboundIn(data)
            var buffer = held ?? context.channel.allocator.buffer(capacity: incoming.readableBytes)
            buffer.writeBuffer(&incoming)
            guard let wire = Self.classify(buffer) else {
                state = .sniffing(buffer)
                return
            }
            state = .configuring(held: buffer, later: [])
            configure(wire, context.channel)
                .hop(to: context.eventLoop)
                .assumeIsolated()
                .whenComplete { result in self.configured(result, context: context) }
        }
    }

    private func configured(_ result: Result<Negotiated, any Error>, context: ChannelHandlerContext) {
        guard case .configuring(let held, let later) = state else { return }
        switch result {
        case .success(let value):
            state = .forwarding
            negotiated.succeed(value)
            context.fireChannelRead(wrapInboundOut(held))
            for data in later { context.fireChannelRead(data) }
            context.fireChannelReadComplete()
            context.pipeline.syncOperations.removeHandler(self, promise: nil)
        case .failure(let error):
            negotiated.fail(error)
            context.close(promise: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if case .forwarding = state { context.fireChannelReadComplete() }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // With half-closure allowed, a client that connects and closes silently sends inputClosed.
        if case .sniffing = state, let event = event as? ChannelEvent, event == .inputClosed {
            state = .forwarding
            negotiated.fail(ChannelError.eof)
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .sniffing = state { negotiated.fail(ChannelError.eof) }
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if case .sniffing = state { negotiated.fail(ChannelError.ioOnClosedChannel) }
    }
}
