import Foundation
import KubeCore
import NIOCore
import NIOPosix

/// Where a forwarded pod port leads: a real socket (the Prometheus upstream for the mesh's
/// Prometheus pod), or nothing, with the kubelet's words for the failed dial.
enum PortForwardTarget: Sendable, Equatable {
    /// `failure` is what the error stream says if the dial fails.
    case upstream(host: String, port: Int, failure: String)
    case refused(message: String)
}

/// The simulator's end of one upgraded `kubectl port-forward` connection (SPDY/3.1), put in
/// the connection's pipeline in front of the HTTP/1.1 decoder once the upgrade is granted:
/// from then on every byte kubectl sends is SPDY and never reaches the HTTP handlers, which
/// wait, idle, until the connection closes. It writes the 101 itself, so that no SPDY frame
/// can arrive before it is in place (kubectl sends nothing until it reads the 101).
///
/// Everything runs on the connection's event loop, the dialled sockets included (their
/// bootstrap uses that loop), so the state needs no lock.
final class PortForwardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let upgradeResponse: [UInt8]
    private let target: @Sendable (Int) -> PortForwardTarget
    /// Set when kubectl asked for the WebSocket tunnel: SPDY inside binary messages.
    private var tunnel: WebSocketTunnel.Reader?
    private var reader = SPDYFrameReader()
    private let codec = SPDYHeaderCodec()
    private var session = PortForwardSession()
    private var upstreams: [String: any Channel] = [:]
    private var context: ChannelHandlerContext?

    init(upgradeResponse: [UInt8], webSocket: Bool, target: @escaping @Sendable (Int) -> PortForwardTarget) {
        self.upgradeResponse = upgradeResponse
        self.target = target
        tunnel = webSocket ? WebSocketTunnel.Reader() : nil
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: upgradeResponse)), promise: nil)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        perform(session.shutdown())
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Consumed here: the HTTP decoder behind this handler must never see SPDY bytes.
        let buffer = unwrapInboundIn(data)
        do {
            guard tunnel != nil else {
                try spdy(buffer.readableBytesView)
                return
            }
            tunnel?.append(buffer.readableBytesView)
            while let event = try tunnel?.next() {
                switch event {
                case .data(let bytes): try spdy(bytes)
                case .ping(let payload): context.write(wrapOutboundOut(ByteBuffer(bytes: WebSocketTunnel.frame(.pong, payload))), promise: nil)
                case .close:
                    context.write(wrapOutboundOut(ByteBuffer(bytes: WebSocketTunnel.frame(.close, []))), promise: nil)
                    perform(session.shutdown())
                }
                if session.closed { return }
            }
        } catch {
            // A peer that breaks the framing gets a GOAWAY (PROTOCOL_ERROR) and the door.
            send(.goAway(lastGoodStreamID: 0, status: 1))
            perform(session.shutdown())
        }
    }

    private func spdy(_ bytes: some Sequence<UInt8>) throws(SPDYProtocolError) {
        reader.append(bytes)
        while let frame = try reader.next() {
            perform(session.receive(try incoming(frame)))
            if session.closed { return }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        perform(session.shutdown())
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // kubectl reading slowly: stop reading the pod's sockets until it catches up, so
        // their bytes wait in the kernel rather than in this process.
        let writable = context.channel.isWritable
        for ch in upstreams.values { ch.setOption(ChannelOptions.autoRead, value: writable).whenFailure { _ in } }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        perform(session.shutdown())
    }

    private func incoming(_ frame: SPDYFrame) throws(SPDYProtocolError) -> PortForwardSession.Incoming {
        switch frame {
        case .synStream(let id, let flags, let block):
            // Every header block is inflated, in order, even one for a stream the session
            // refuses: the zlib context is shared by all of them.
            let headers = try SPDYHeaderBlock.decode(try codec.inflate(block))
            return .synStream(streamID: id, fin: flags & SPDYFrame.flagFin != 0, headers: headers)
        case .headers(_, _, let block), .synReply(_, _, let block):
            _ = try codec.inflate(block)
            return .ignored
        case .data(let id, let flags, let payload):
            return .data(streamID: id, fin: flags & SPDYFrame.flagFin != 0, bytes: payload)
        case .rstStream(let id, _): return .reset(streamID: id)
        case .ping(let id): return .ping(id: id)
        case .goAway: return .goAway
        case .settings, .windowUpdate, .ignored: return .ignored
        }
    }

    private func send(_ frame: SPDYFrame) {
        guard let context else { return }
        let bytes = tunnel == nil ? frame.encoded : WebSocketTunnel.frame(.binary, frame.encoded)
        context.write(wrapOutboundOut(ByteBuffer(bytes: bytes)), promise: nil)
    }

    private func perform(_ actions: [PortForwardSession.Action]) {
        for action in actions {
            switch action {
            case .send(let out):
                switch out {
                case .reply(let id):
                    guard let block = try? codec.deflate(SPDYHeaderBlock.encode([])) else {
                        perform(session.shutdown())
                        return
                    }
                    send(.synReply(streamID: id, flags: 0, headerBlock: block))
                case .data(let id, let bytes, let fin):
                    send(.data(streamID: id, flags: fin ? SPDYFrame.flagFin : 0, payload: bytes))
                case .reset(let id, let status): send(.rstStream(streamID: id, status: status))
                case .ping(let id): send(.ping(id: id))
                case .goAway(let last): send(.goAway(lastGoodStreamID: last, status: 1))
                }
            case .connect(let rid, let port):
                connect(rid, port: port)
            case .write(let rid, let bytes):
                upstreams[rid]?.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
            case .shutdownOutput(let rid):
                upstreams[rid]?.close(mode: .output, promise: nil)
            case .close(let rid):
                upstreams.removeValue(forKey: rid)?.close(promise: nil)
            case .closeConnection:
                context?.flush()
                context?.close(promise: nil)
            }
        }
        context?.flush()
    }

    private func connect(_ rid: String, port: Int) {
        guard let context else { return }
        switch target(port) {
        case .refused(let message):
            perform(session.upstream(.failed(requestID: rid, message: message)))
        case .upstream(let host, let upstreamPort, let failure):
            let me = NIOLoopBound(self, eventLoop: context.eventLoop)
            let autoRead = context.channel.isWritable
            ClientBootstrap(group: context.eventLoop)
                .connectTimeout(.seconds(5))
                .channelOption(.allowRemoteHalfClosure, value: true)
                .channelOption(.autoRead, value: autoRead)
                .channelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture { try ch.pipeline.syncOperations.addHandler(PortForwardUpstream(requestID: rid, owner: me)) }
                }
                .connect(host: host, port: upstreamPort)
                .hop(to: context.eventLoop)
                .whenComplete { result in
                    let handler = me.value
                    switch result {
                    case .success(let ch):
                        if handler.session.closed {
                            ch.close(promise: nil)
                            return
                        }
                        handler.upstreams[rid] = ch
                        handler.perform(handler.session.upstream(.connected(requestID: rid)))
                    case .failure:
                        handler.perform(handler.session.upstream(.failed(requestID: rid, message: failure)))
                    }
                }
        }
    }

    fileprivate func upstreamEvent(_ event: PortForwardSession.Upstream) {
        if case .closed(let rid) = event { upstreams.removeValue(forKey: rid)?.close(promise: nil) }
        perform(session.upstream(event))
    }
}

/// One dialled pod socket: its bytes and its end go to the connection's handler.
private final class PortForwardUpstream: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let requestID: String
    let owner: NIOLoopBound<PortForwardHandler>
    private var ended = false

    init(requestID: String, owner: NIOLoopBound<PortForwardHandler>) {
        self.requestID = requestID
        self.owner = owner
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        owner.value.upstreamEvent(.data(requestID: requestID, bytes: Array(buffer.readableBytesView)))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case ChannelEvent.inputClosed = event { end() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        end()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func end() {
        guard !ended else { return }
        ended = true
        owner.value.upstreamEvent(.closed(requestID: requestID))
    }
}
