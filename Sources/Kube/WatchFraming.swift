// Splits a watch response body into events. The body arrives in chunks cut anywhere (inside a
// string, a UTF-8 sequence or between two events), and some servers put no newline between
// events, so a frame ends where a top-level JSON object closes: brace depth counted outside
// strings, with escapes honoured. Works on bytes, so a split UTF-8 sequence needs no care:
// no structural byte is ever part of a multi-byte sequence.

import KubeCore
import SMI

public enum WatchEventType: Sendable, Equatable {
    case added, modified, deleted, bookmark
    /// An ERROR event (its Status), an unknown event type, or a frame that is not an event.
    case error(KubeError)

    public var isError: Bool {
        if case .error = self { return true }
        return false
    }
}

public struct WatchEvent: Sendable, Equatable {
    public var type: WatchEventType
    public var object: JSON

    public init(type: WatchEventType, object: JSON) {
        self.type = type
        self.object = object
    }

    /// `object.metadata.resourceVersion`, the resume point after this event.
    public var resourceVersion: String? { object[path: "metadata", "resourceVersion"]?.stringValue }

    /// Decodes one complete frame. The members lists skip (`KubeClient.bulkyKeys`: field sets
    /// and last-applied copies) are skipped here too: nothing reads them, and a field set is
    /// where a hostile object nests thousands of levels deep.
    public static func decode(frame: some Collection<UInt8>) -> WatchEvent {
        let json: JSON
        do {
            json = try JSON.parse(frame, skippingKeys: KubeClient.bulkyKeys)
        } catch {
            return WatchEvent(
                type: .error(.decoding("malformed watch event (\(frame.count) bytes): \(error.message)")),
                object: .null)
        }
        guard let t = json["type"]?.stringValue else {
            return WatchEvent(type: .error(.decoding("watch event without a \"type\"")), object: json)
        }
        let object = json["object"] ?? .null
        switch t {
        case "ADDED": return WatchEvent(type: .added, object: object)
        case "MODIFIED": return WatchEvent(type: .modified, object: object)
        case "DELETED": return WatchEvent(type: .deleted, object: object)
        case "BOOKMARK": return WatchEvent(type: .bookmark, object: object)
        case "ERROR":
            if let s = Status(json: object) { return WatchEvent(type: .error(KubeError(status: s)), object: object) }
            return WatchEvent(
                type: .error(KubeError(source: .status, reason: "Unknown", message: "watch ERROR event without a Status object")),
                object: object)
        default:
            return WatchEvent(
                type: .error(.decoding("unknown watch event type \"\(sanitizedForDisplay(t, limit: 40))\"")),
                object: object)
        }
    }
}

public struct WatchFrameDecoder: Sendable {
    /// A frame larger than this is dropped with an error event rather than growing without bound.
    public var maxFrameBytes: Int

    private var buffer: [UInt8] = []
    /// Scan position in `buffer`, so re-feeding never rescans bytes already classified.
    private var pos = 0
    private var depth = 0
    private var inString = false
    private var escaped = false
    /// True while skipping bytes that are not inside any object (garbage between events).
    private var inGarbage = false
    private var garbageCount = 0
    private var oversized = false

    public init(maxFrameBytes: Int = 64 << 20) {
        self.maxFrameBytes = maxFrameBytes
    }

    /// Bytes received but not yet part of a complete event.
    public var pendingByteCount: Int { buffer.count }

    public mutating func feed(_ chunk: some Collection<UInt8>) -> [WatchEvent] {
        buffer.append(contentsOf: chunk)
        var events: [WatchEvent] = []
        var consumed = 0
        let n = buffer.count
        while pos < n {
            let c = buffer[pos]
            if depth == 0 {
                if c == UInt8(ascii: "{") {
                    if inGarbage { events.append(garbageEvent()) }
                    consumed = pos
                    depth = 1
                } else if c == 0x0A || c == 0x0D || c == 0x20 || c == 0x09 {
                    if inGarbage && c == 0x0A { events.append(garbageEvent()) }
                    consumed = pos + 1
                } else {
                    inGarbage = true
                    garbageCount += 1
                    consumed = pos + 1
                }
                pos += 1
                continue
            }
            if inString {
                if escaped {
                    escaped = false
                } else if c == UInt8(ascii: "\\") {
                    escaped = true
                } else if c == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if c == UInt8(ascii: "\"") {
                inString = true
            } else if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
                depth += 1
            } else if c == UInt8(ascii: "}") || c == UInt8(ascii: "]") {
                depth -= 1
                if depth == 0 {
                    if oversized {
                        events.append(
                            WatchEvent(
                                type: .error(.decoding("watch event larger than \(maxFrameBytes) bytes dropped")),
                                object: .null))
                        oversized = false
                    } else {
                        events.append(WatchEvent.decode(frame: buffer[consumed...pos]))
                    }
                    consumed = pos + 1
                }
            }
            pos += 1
        }
        if depth > 0, pos - consumed > maxFrameBytes {
            // Keep scanning to find the frame's end, but stop holding its bytes.
            oversized = true
            consumed = pos
        }
        if consumed > 0 {
            buffer.removeSubrange(0..<consumed)
            pos -= consumed
        }
        return events
    }

    /// Call when the body ends. Reports an event cut off by the end of the stream.
    public mutating func finish() -> [WatchEvent] {
        var events: [WatchEvent] = []
        if inGarbage { events.append(garbageEvent()) }
        if depth > 0 || oversized {
            events.append(
                WatchEvent(
                    type: .error(.decoding("the watch stream ended inside an event (\(buffer.count) bytes)")),
                    object: .null))
        }
        self = WatchFrameDecoder(maxFrameBytes: maxFrameBytes)
        return events
    }

    private mutating func garbageEvent() -> WatchEvent {
        let e = WatchEvent(
            type: .error(.decoding("unexpected non-JSON data in the watch stream (\(garbageCount) bytes)")),
            object: .null)
        inGarbage = false
        garbageCount = 0
        return e
    }
}
