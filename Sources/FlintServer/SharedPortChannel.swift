import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's child channel for the one port: HTTP/1.1 goes to the REST responder, HTTP/2
/// prior knowledge goes to gRPC.
struct SharedPortChannel: ServerChildChannel {
    enum Negotiated: Sendable {
        case http1(HTTP1Channel.Value)
        case grpc
    }

    struct Value: ServerChildChannelValue {
        let channel: any Channel
        let negotiated: EventLoopFuture<Negotiated>
    }

    let http1: HTTP1Channel
    let grpc: SharedPortGRPCListener

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let promise = channel.eventLoop.makePromise(of: Negotiated.self)
            let http1 = self.http1
            let grpc = self.grpc
            let sniffer = ProtocolSniffer<Negotiated>(negotiated: promise) { wire, channel in
                switch wire {
                case .http1: http1.setup(channel: channel, logger: logger).map { .http1($0) }
                case .http2: grpc.adopt(channel).map { .grpc }
                }
            }
            try channel.pipeline.syncOperations.addHandler(sniffer)
            return Value(channel: channel, negotiated: promise.futureResult)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.negotiated.get() {
            case .http1(let http):
                await http1.handle(value: http, logger: logger)
            case .grpc:
                // gRPC owns the connection; keep this task until it closes.
                try await value.channel.closeFuture.get()
            }
        } catch {
            logger.debug("Connection closed before its protocol was known: \(error)")
        }
    }
}

extension HTTPServerBuilder {
    /// REST and gRPC on one port, told apart by the first bytes.
    static func restAndGRPC(_ grpc: SharedPortGRPCListener) -> HTTPServerBuilder {
        .init { responder in SharedPortChannel(http1: HTTP1Channel(responder: responder), grpc: grpc) }
    }
}
