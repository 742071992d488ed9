import GRPCCore
import GRPCNIOTransportHTTP2Posix
import NIOCore
import NIOHTTP2
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// A gRPC "listener" that owns no socket: the shared port's sniffer hands it connections that
/// opened with the HTTP/2 preface, already configured with gRPC's pipeline.
///
/// grpc-swift's custom transport wants a listening channel; ours is a pipe that never carries
/// bytes and only delivers injected connections (and lets gRPC's quiescing close them on shutdown).
final class SharedPortGRPCListener: HTTP2ServerTransport.ListenerFactory {
    typealias ConnectionChannel = HTTP2ServerTransport.ConnectionConfigurator.ConnectionChannel

    private struct Ready: Sendable {
        let configurator: HTTP2ServerTransport.ConnectionConfigurator
        let listener: any Channel
    }

    /// Carries a configured connection through the listener's pipeline.
    struct Injected: Sendable {
        let connection: ConnectionChannel
    }

    /// Turns `Injected` events into the reads grpc-swift's accept loop consumes.
    final class Injector: ChannelInboundHandler {
        typealias InboundIn = Any
        typealias InboundOut = ConnectionChannel

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            guard let injected = event as? Injected else {
                context.fireUserInboundEventTriggered(event)
                return
            }
            context.fireChannelRead(wrapInboundOut(injected.connection))
            context.fireChannelReadComplete()
        }
    }

    struct PipeFailed: Error {}

    let eventLoopGroup: any EventLoopGroup
    private let ready: EventLoopPromise<Ready>

    init(eventLoopGroup: any EventLoopGroup) {
        self.eventLoopGroup = eventLoopGroup
        self.ready = eventLoopGroup.any().makePromise()
    }

    func makeListeningChannel(
        listenerConfigurator: HTTP2ServerTransport.ListenerConfigurator,
        connectionConfigurator: HTTP2ServerTransport.ConnectionConfigurator
    ) async throws -> NIOAsyncChannel<ConnectionChannel, Never> {
        var fds: [CInt] = [0, 0]
        guard pipe(&fds) == 0 else { throw PipeFailed() }
        let writeEnd = fds[1]
        let pipeChannel = try await NIOPipeBootstrap(group: eventLoopGroup).takingOwnershipOfDescriptor(input: fds[0]).get()
        pipeChannel.closeFuture.whenComplete { _ in _ = close(writeEnd) }
        // The configurators use synchronous pipeline operations: run them on the channel's loop.
        let channel = try await pipeChannel.eventLoop.flatSubmit {
            listenerConfigurator.configure(channel: pipeChannel).flatMapThrowing {
                try pipeChannel.pipeline.syncOperations.addHandler(Injector())
                return try NIOAsyncChannel<ConnectionChannel, Never>(wrappingChannelSynchronously: pipeChannel)
            }
        }.get()
        ready.succeed(Ready(configurator: connectionConfigurator, listener: pipeChannel))
        return channel
    }

    /// Gives an HTTP/2 connection to gRPC; called on the connection's event loop.
    func adopt(_ channel: any Channel) -> EventLoopFuture<Void> {
        ready.futureResult.hop(to: channel.eventLoop).flatMap { ready in
            // Hummingbird allows half-closure for HTTP/1; gRPC's pipeline expects EOF to close.
            channel.setOption(ChannelOptions.allowRemoteHalfClosure, value: false).flatMap {
                ready.configurator.configure(channel: channel, tls: .none)
            }.flatMapThrowing { connection in
                // channelActive fired before sniffing ended; gRPC's timers start on it, so fire it again.
                try channel.pipeline.syncOperations.context(handlerType: NIOHTTP2Handler.self).fireChannelActive()
                let listener = ready.listener
                listener.eventLoop.execute {
                    guard listener.isActive else {
                        channel.close(promise: nil)
                        return
                    }
                    listener.pipeline.fireChannelRead(channel)
                    listener.pipeline.fireUserInboundEventTriggered(Injected(connection: connection))
                }
            }
        }
    }
}
