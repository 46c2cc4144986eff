// Every failure the Kubernetes client can report, and the one place that turns it into text
// for the user. Server errors keep the fields of `metav1.Status` so callers decide on codes
// and reasons (409 → conflict dialog, 410 → relist), never on message text.

import Foundation
import KubeCore
import SMI

public struct StatusCause: Sendable, Equatable {
    public var reason: String?
    public var message: String?
    public var field: String?

    public init(reason: String? = nil, message: String? = nil, field: String? = nil) {
        self.reason = reason
        self.message = message
        self.field = field
    }
}

public struct StatusDetails: Sendable, Equatable {
    public var name: String?
    public var group: String?
    public var kind: String?
    public var uid: String?
    public var causes: [StatusCause]
    public var retryAfterSeconds: Int?

    public init(
        name: String? = nil, group: String? = nil, kind: String? = nil, uid: String? = nil,
        causes: [StatusCause] = [], retryAfterSeconds: Int? = nil
    ) {
        self.name = name
        self.group = group
        self.kind = kind
        self.uid = uid
        self.causes = causes
        self.retryAfterSeconds = retryAfterSeconds
    }
}

/// A decoded `metav1.Status`.
public struct Status: Sendable, Equatable {
    /// "Success" or "Failure".
    public var status: String?
    public var message: String
    public var reason: String
    public var code: Int?
    public var details: StatusDetails?

    public init(status: String? = "Failure", message: String, reason: String, code: Int?, details: StatusDetails? = nil) {
        self.status = status
        self.message = message
        self.reason = reason
        self.code = code
        self.details = details
    }

    /// nil unless the value is an object with `kind: Status` (or, as older servers and
    /// aggregated APIs send, no kind but a `status` of Success/Failure).
    public init?(json: JSON) {
        guard case .object(let o) = json else { return nil }
        let kind = o["kind"]?.stringValue
        let st = o["status"]?.stringValue
        guard kind == "Status" || (kind == nil && (st == "Failure" || st == "Success")) else { return nil }
        status = st
        message = o["message"]?.stringValue ?? ""
        reason = o["reason"]?.stringValue ?? ""
        code = o["code"]?.intValue.map { Int($0) }
        if case .object(let d)? = o["details"] {
            details = StatusDetails(
                name: d["name"]?.stringValue, group: d["group"]?.stringValue, kind: d["kind"]?.stringValue,
                uid: d["uid"]?.stringValue,
                causes: (d["causes"]?.arrayValue ?? []).map {
                    StatusCause(
                        reason: $0["reason"]?.stringValue, message: $0["message"]?.stringValue,
                        field: $0["field"]?.stringValue)
                },
                retryAfterSeconds: d["retryAfterSeconds"]?.intValue.map { Int(clamping: $0) })
        } else {
            details = nil
        }
    }
}

public struct KubeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Source: Sendable, Equatable {
        /// The server answered with a `Status` (HTTP error or watch ERROR event).
        case status
        /// The server (or a proxy in front of it) answered an error without a `Status` body.
        case httpBody
        /// The request did not complete.
        case transport(TransportErrorKind)
        /// A 2xx body that is not what the API promises.
        case decoding
        /// kubeconfig, flags or in-cluster configuration.
        case config
        /// Obtaining credentials (token file, exec plugin).
        case credential
    }

    public var source: Source
    /// HTTP status, or the Status `code`.
    public var code: Int?
    /// Status `reason` (e.g. "NotFound", "Expired"); derived from the code when the server sent none.
    public var reason: String
    public var message: String
    public var details: StatusDetails?
    /// From `details.retryAfterSeconds` or the `Retry-After` header.
    public var retryAfterSeconds: Double?
    /// For transport failures: the server may have acted on the request.
    public var mayHaveBeenSent: Bool
    /// What was being done, kubectl style ("get trafficsplits.split.smi-spec.io web"), for messages.
    public var operation: String?
    /// Extra advice shown after the message (never secrets).
    public var hint: String?
    /// Set when a `kubectl port-forward` to this Service would get around the failure (the
    /// mesh's Prometheus refusing the API server's service proxy): smitop offers to run it.
    public var portForward: PortForwardSuggestion?

    public init(
        source: Source, code: Int? = nil, reason: String = "", message: String, details: StatusDetails? = nil,
        retryAfterSeconds: Double? = nil, mayHaveBeenSent: Bool = false, operation: String? = nil, hint: String? = nil
    ) {
        self.source = source
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.retryAfterSeconds = retryAfterSeconds
        self.mayHaveBeenSent = mayHaveBeenSent
        self.operation = operation
        self.hint = hint
    }

    public static func decoding(_ message: String) -> KubeError { KubeError(source: .decoding, message: message) }
    public static func config(_ message: String) -> KubeError { KubeError(source: .config, message: message) }
    public static func credential(_ message: String) -> KubeError { KubeError(source: .credential, message: message) }

    public init(_ t: TransportError, operation: String? = nil) {
        self.init(
            source: .transport(t.kind), message: sanitizedForDisplay(t.message, limit: 500),
            mayHaveBeenSent: t.mayHaveBeenSent, operation: operation)
    }

    public init(status s: Status, httpStatus: Int? = nil) {
        let code = s.code ?? httpStatus
        self.init(
            source: .status, code: code,
            reason: s.reason.isEmpty ? KubeError.reasonForCode(code) : sanitizedForDisplay(s.reason, limit: 100),
            message: sanitizedForDisplay(s.message, limit: 2000), details: s.details,
            retryAfterSeconds: s.details?.retryAfterSeconds.map(Double.init))
    }

    // MARK: classification

    public var isNotFound: Bool { code == 404 || reason == "NotFound" }
    public var isConflict: Bool { code == 409 && reason != "AlreadyExists" }
    public var isAlreadyExists: Bool { reason == "AlreadyExists" }
    /// 410 Gone / reason Expired: the resourceVersion or continue token is too old.
    public var isGone: Bool { code == 410 || reason == "Expired" || reason == "Gone" }
    public var isUnauthorized: Bool { code == 401 }
    public var isForbidden: Bool { code == 403 }
    public var isTooManyRequests: Bool { code == 429 }
    public var isInvalid: Bool { code == 422 || reason == "Invalid" }
    public var isTransport: Bool {
        if case .transport = source { return true }
        return false
    }
    /// Nothing arrived on the connection for the request's idle timeout.
    public var isIdleTimeout: Bool {
        if case .transport(.idleTimeout) = source { return true }
        return false
    }

    /// Matches client-go's `reasonForCode` so code-only errors still have a reason.
    public static func reasonForCode(_ code: Int?) -> String {
        switch code {
        case 400: return "BadRequest"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "NotFound"
        case 405: return "MethodNotAllowed"
        case 406: return "NotAcceptable"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 413: return "RequestEntityTooLarge"
        case 415: return "UnsupportedMediaType"
        case 422: return "Invalid"
        case 429: return "TooManyRequests"
        case 500: return "InternalError"
        case 503: return "ServiceUnavailable"
        case 504: return "Timeout"
        default: return ""
        }
    }

    static func httpPhrase(_ code: Int) -> String {
        switch code {
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 406: return "Not Acceptable"
        case 407: return "Proxy Authentication Required"
        case 409: return "Conflict"
        case 410: return "Gone"
        case 413: return "Payload Too Large"
        case 415: return "Unsupported Media Type"
        case 422: return "Unprocessable Entity"
        case 429: return "Too Many Requests"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return ""
        }
    }

    /// Turns a non-2xx response into an error. A `Status` body is decoded; anything else
    /// (a proxy's HTML page, text, a JSON string, garbage, a truncated body) is summarised in
    /// one line, never dumped.
    public static func fromResponse(_ r: HTTPResponse, operation: String? = nil, now: Date = Date()) -> KubeError {
        var e = classifyBody(status: r.status, contentType: r.header("Content-Type"), body: r.body)
        e.operation = operation
        if let ra = parseRetryAfter(r.header("Retry-After"), now: now) {
            e.retryAfterSeconds = max(e.retryAfterSeconds ?? 0, ra)
        }
        return e
    }

    static func classifyBody(status: Int, contentType: String?, body: [UInt8]) -> KubeError {
        let ct = (contentType ?? "").lowercased()
        let reason = reasonForCode(status)
        func plain(_ summary: String) -> KubeError {
            KubeError(source: .httpBody, code: status, reason: reason, message: summary)
        }
        let trimmed = body.drop { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if trimmed.isEmpty { return plain("empty response body") }
        let first = trimmed.first!
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") || first == UInt8(ascii: "\"") {
            if let json = try? JSON.parse(body) {
                if let s = Status(json: json) { return KubeError(status: s, httpStatus: status) }
                // smi-metrics reports backend failures as a bare JSON string.
                if let s = json.stringValue { return plain(sanitizedForDisplay(s, limit: 300)) }
                if let m = json["message"]?.stringValue { return plain(sanitizedForDisplay(m, limit: 300)) }
                return plain("unexpected JSON \(json.typeName) instead of a Status (\(body.count) bytes)")
            }
            return plain("malformed or truncated JSON body (\(body.count) bytes)")
        }
        if ct.contains("html") || first == UInt8(ascii: "<") {
            let title = htmlTitle(body).map { ": \"\(sanitizedForDisplay($0, limit: 120))\"" } ?? ""
            return plain("the server sent an HTML page\(title), not a Kubernetes API response (is a proxy or load balancer in the way?)")
        }
        guard let text = String(validating: body.prefix(4096), as: UTF8.self) ?? String(validatingPrefix: body.prefix(4096)),
            isMostlyText(text)
        else {
            return plain("non-text response body (\(body.count) bytes, content type \(ct.isEmpty ? "none" : sanitizedForDisplay(ct, limit: 60)))")
        }
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return plain(sanitizedForDisplay(line, limit: 300))
    }

    static func htmlTitle(_ body: [UInt8]) -> String? {
        let s = String(decoding: body.prefix(8192), as: UTF8.self)
        guard let open = s.range(of: "<title>", options: .caseInsensitive),
            let close = s.range(of: "</title>", options: .caseInsensitive, range: open.upperBound..<s.endIndex)
        else { return nil }
        let t = s[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
        return t.isEmpty ? nil : t
    }

    static func isMostlyText(_ s: String) -> Bool {
        var bad = 0
        var total = 0
        for u in s.unicodeScalars {
            total += 1
            if u.value == 0xFFFD || (u.value < 0x20 && u != "\n" && u != "\r" && u != "\t") { bad += 1 }
        }
        return total > 0 && bad * 10 < total
    }

    /// `Retry-After`: delta-seconds or an HTTP-date.
    public static func parseRetryAfter(_ value: String?, now: Date = Date()) -> Double? {
        guard let v = value?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
        if let secs = Int(v) { return secs >= 0 ? Double(secs) : nil }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            f.dateFormat = format
            if let d = f.date(from: v) { return max(0, d.timeIntervalSince(now)) }
        }
        return nil
    }

    // MARK: user text

    /// The text the user reads, worded like kubectl where kubectl has a wording.
    public var userMessage: String {
        var text: String
        switch source {
        case .status:
            if code == 401 {
                text = "You must be logged in to the server (\(message.isEmpty ? "Unauthorized" : message))"
            } else if isInvalid, let d = details, let kind = d.kind, !d.causes.isEmpty {
                let causes = d.causes.map { c -> String in
                    let m = c.message ?? c.reason ?? ""
                    return (c.field?.isEmpty ?? true) ? m : "\(c.field!): \(m)"
                }
                let list = causes.count == 1 ? causes[0] : "[\(causes.joined(separator: ", "))]"
                text = "The \(kind) \"\(d.name ?? "")\" is invalid: \(list)"
            } else {
                let r = reason.isEmpty ? "" : " (\(reason))"
                text = "Error from server\(r): \(message.isEmpty ? KubeError.genericMessage(code, operation) : message)"
            }
        case .httpBody:
            let phrase = code.map { c in "HTTP \(c)" + (KubeError.httpPhrase(c).isEmpty ? "" : " \(KubeError.httpPhrase(c))") } ?? "HTTP error"
            let op = operation.map { " (\($0))" } ?? ""
            text = "\(KubeError.genericMessage(code, nil)) [\(phrase)]\(op): \(message)"
        case .transport:
            // The message already ends with the request (method and URL); the operation in
            // front would push the cause off a narrow screen.
            text = message
        case .decoding:
            text = "unexpected response from the server\(operation.map { " (\($0))" } ?? ""): \(message)"
        case .config, .credential:
            text = message
        }
        if let hint { text += " (\(hint))" }
        return text
    }

    public var description: String { userMessage }

    /// client-go's wording for errors that came without a usable message.
    static func genericMessage(_ code: Int?, _ operation: String?) -> String {
        let base: String
        switch code {
        case 400: base = "the server rejected our request for an unknown reason"
        case 401: base = "the server has asked for the client to provide credentials"
        case 403: base = "the server does not allow access to the requested resource"
        case 404: base = "the server could not find the requested resource"
        case 405: base = "the server does not allow this method on the requested resource"
        case 409: base = "the server reported a conflict"
        case 410: base = "the requested resource is no longer available"
        case 415: base = "the server does not support the content type of the request"
        case 422: base = "the server rejected our request due to an error in our request"
        case 429: base = "the server has received too many requests and has asked us to try again later"
        case 500: base = "an error on the server has prevented the request from succeeding"
        case 502, 503: base = "the server is currently unable to handle the request"
        case 504: base = "the server was unable to return a response in the time allotted"
        default: base = "the server returned an error"
        }
        return operation.map { "\(base) (\($0))" } ?? base
    }

    /// The single entry point for showing any error from this module (or below) to a user.
    public static func userMessage(for error: any Error) -> String {
        switch error {
        case let k as KubeError: return k.userMessage
        case let t as TransportError: return KubeError(t).userMessage
        case let j as JSONParseError: return "invalid JSON: \(j.description)"
        default: return sanitizedForDisplay(String(describing: error), limit: 500)
        }
    }
}

extension String {
    /// Decodes a possibly cut-off UTF-8 prefix, dropping an incomplete final sequence.
    init?(validatingPrefix bytes: ArraySlice<UInt8>) {
        var b = bytes
        for _ in 0..<4 {
            if let s = String(validating: b, as: UTF8.self) {
                self = s
                return
            }
            if b.isEmpty { break }
            b = b.dropLast()
        }
        return nil
    }
}
