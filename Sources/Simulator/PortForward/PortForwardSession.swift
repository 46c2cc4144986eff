import KubeCore

// What the kubelet does with one upgraded port-forward connection, as a value-type state
// machine: decoded frames and upstream events in, frames to send and sockets to open, write
// or close out. kubectl opens, per accepted local connection, an `error` stream and a `data`
// stream that share a `requestid`; once both are here the pod's port is dialled. Bytes on
// the data stream go to that socket and back; a failed dial is reported on the error stream
// (kubectl prints it and ends); when the socket ends, both streams are closed, which is how
// kubectl learns that the local connection is done.

struct PortForwardSession {
    enum StreamType: String { case error, data }

    /// A frame the session sends; the handler compresses header blocks and encodes it.
    enum Outgoing: Equatable {
        case reply(streamID: UInt32)
        case data(streamID: UInt32, bytes: [UInt8], fin: Bool)
        case reset(streamID: UInt32, status: UInt32)
        case ping(id: UInt32)
        case goAway(lastGoodStreamID: UInt32)
    }

    enum Action: Equatable {
        case send(Outgoing)
        /// Dial `port` of the pod for the pair `requestID`.
        case connect(requestID: String, port: Int)
        case write(requestID: String, bytes: [UInt8])
        /// kubectl closed its side of the data stream: half-close the socket's output.
        case shutdownOutput(requestID: String)
        case close(requestID: String)
        case closeConnection
    }

    /// A frame whose header block has been inflated and parsed.
    enum Incoming: Equatable {
        case synStream(streamID: UInt32, fin: Bool, headers: [String: [String]])
        case data(streamID: UInt32, fin: Bool, bytes: [UInt8])
        case reset(streamID: UInt32)
        case ping(id: UInt32)
        case goAway
        case ignored
    }

    enum Upstream: Equatable {
        case connected(requestID: String)
        case failed(requestID: String, message: String)
        case data(requestID: String, bytes: [UInt8])
        case closed(requestID: String)
    }

    private struct Pair {
        var port: Int
        var errorStream: UInt32?
        var dataStream: UInt32?
        var dialled = false
        var connected = false
        /// Bytes kubectl sent before the socket was open.
        var early: [UInt8] = []
        var clientFinished = false
    }

    /// A data frame carries at most this much (kubectl reads in 32 KiB too).
    static let maxDataFrame = 32 << 10
    /// Bytes held per pair while the socket is being dialled; kubectl waits for nothing, so
    /// a client that sends more than this before the dial ends is cut off.
    static let maxEarlyBytes = 1 << 20
    /// Streams open at once (kubectl opens two per local connection).
    static let maxStreams = 512

    private var pairs: [String: Pair] = [:]
    private var streamOwner: [UInt32: String] = [:]
    private var lastStreamID: UInt32 = 0
    private(set) var closed = false

    var openPairs: Int { pairs.count }

    mutating func receive(_ frame: Incoming) -> [Action] {
        guard !closed else { return [] }
        switch frame {
        case .synStream(let id, let fin, let headers):
            return synStream(id, fin: fin, headers)
        case .data(let id, let fin, let bytes):
            return data(id, fin: fin, bytes)
        case .reset(let id):
            // kubectl gave up on the stream (its local connection is gone): close the socket,
            // send nothing more on either stream.
            guard let rid = streamOwner[id], let p = pairs.removeValue(forKey: rid) else { return [] }
            for sid in [p.dataStream, p.errorStream].compactMap({ $0 }) { streamOwner[sid] = nil }
            return [.close(requestID: rid)]
        case .ping(let id):
            // Client pings are odd; answer them. An even id would be our own echoed back.
            return id % 2 == 1 ? [.send(.ping(id: id))] : []
        case .goAway:
            return shutdown()
        case .ignored:
            return []
        }
    }

    mutating func upstream(_ event: Upstream) -> [Action] {
        guard !closed else { return [] }
        switch event {
        case .connected(let rid):
            guard var p = pairs[rid] else { return [.close(requestID: rid)] }
            p.connected = true
            var out: [Action] = []
            if !p.early.isEmpty { out.append(.write(requestID: rid, bytes: p.early)) }
            p.early = []
            if p.clientFinished { out.append(.shutdownOutput(requestID: rid)) }
            pairs[rid] = p
            return out
        case .failed(let rid, let message):
            guard let p = pairs[rid] else { return [] }
            var out: [Action] = []
            if let e = p.errorStream { out.append(.send(.data(streamID: e, bytes: Array(message.utf8), fin: false))) }
            return out + finish(rid, reset: false)
        case .data(let rid, let bytes):
            guard let d = pairs[rid]?.dataStream else { return [] }
            var out: [Action] = []
            var at = 0
            while at < bytes.count {
                let end = min(at + Self.maxDataFrame, bytes.count)
                out.append(.send(.data(streamID: d, bytes: Array(bytes[at..<end]), fin: false)))
                at = end
            }
            return out
        case .closed(let rid):
            return finish(rid, reset: false)
        }
    }

    /// Everything ends (the connection closed or is closing): every socket is closed.
    mutating func shutdown() -> [Action] {
        guard !closed else { return [] }
        closed = true
        let out = pairs.keys.sorted().map { Action.close(requestID: $0) }
        pairs = [:]
        streamOwner = [:]
        return out + [.closeConnection]
    }

    private mutating func synStream(_ id: UInt32, fin: Bool, _ headers: [String: [String]]) -> [Action] {
        // Client streams are odd and increase (SPDY/3.1 §2.3.2); anything else is a protocol error.
        guard id % 2 == 1, id > lastStreamID else {
            return [.send(.goAway(lastGoodStreamID: lastStreamID))] + shutdown()
        }
        lastStreamID = id
        guard streamOwner.count < Self.maxStreams else { return [.send(.reset(streamID: id, status: SPDYFrame.Status.refusedStream))] }
        let type = headers["streamtype"]?.first.flatMap(StreamType.init(rawValue:))
        let portText = headers["port"]?.first ?? ""
        // kubectl ≥ 1.5 sends a requestid; an older client pairs streams by id (data = error + 2).
        let rid = headers["requestid"]?.first ?? String(type == .data ? id &- 2 : id)
        guard let type else { return [.send(.reset(streamID: id, status: SPDYFrame.Status.protocolError))] }
        var out: [Action] = [.send(.reply(streamID: id))]
        guard let port = Int(portText), (1...65535).contains(port) else {
            // The kubelet's words for a port header it cannot use.
            if type == .error {
                out.append(.send(.data(streamID: id, bytes: Array("invalid port header: \(clean(portText))".utf8), fin: true)))
            } else {
                out.append(.send(.reset(streamID: id, status: SPDYFrame.Status.protocolError)))
            }
            return out
        }
        var p = pairs[rid] ?? Pair(port: port)
        switch type {
        case .error:
            guard p.errorStream == nil else { return [.send(.reset(streamID: id, status: SPDYFrame.Status.protocolError))] }
            p.errorStream = id
        case .data:
            guard p.dataStream == nil else { return [.send(.reset(streamID: id, status: SPDYFrame.Status.protocolError))] }
            p.dataStream = id
            p.clientFinished = fin
        }
        streamOwner[id] = rid
        if p.errorStream != nil, p.dataStream != nil, !p.dialled {
            p.dialled = true
            out.append(.connect(requestID: rid, port: p.port))
        }
        pairs[rid] = p
        return out
    }

    private mutating func data(_ id: UInt32, fin: Bool, _ bytes: [UInt8]) -> [Action] {
        guard let rid = streamOwner[id], var p = pairs[rid] else {
            // Data for a stream that is gone (a late frame after a close) is dropped; one
            // never opened is an error for that stream alone.
            return id > lastStreamID ? [.send(.reset(streamID: id, status: SPDYFrame.Status.invalidStream))] : []
        }
        // kubectl closes its side of the error stream at once and never writes to it.
        guard id == p.dataStream else { return [] }
        var out: [Action] = []
        if !bytes.isEmpty {
            if p.connected {
                out.append(.write(requestID: rid, bytes: bytes))
            } else {
                guard p.early.count + bytes.count <= Self.maxEarlyBytes else { return finish(rid, reset: true) }
                p.early += bytes
            }
        }
        if fin, !p.clientFinished {
            p.clientFinished = true
            if p.connected { out.append(.shutdownOutput(requestID: rid)) }
        }
        pairs[rid] = p
        return out
    }

    /// The pair is done: its socket closed, and both streams closed from this side (a FIN,
    /// or a reset when the client misbehaved), which ends kubectl's wait on them.
    private mutating func finish(_ rid: String, reset: Bool) -> [Action] {
        guard let p = pairs.removeValue(forKey: rid) else { return [] }
        var out: [Action] = [.close(requestID: rid)]
        for id in [p.dataStream, p.errorStream].compactMap({ $0 }) {
            streamOwner[id] = nil
            out.append(.send(reset ? .reset(streamID: id, status: SPDYFrame.Status.cancel) : .data(streamID: id, bytes: [], fin: true)))
        }
        return out
    }
}
