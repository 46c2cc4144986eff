import Kube
import KubeCore

/// Assembles the final response head from libcurl's header callback, which delivers one raw
/// line at a time and repeats the status line for every response on the wire: interim 1xx
/// responses (100-continue, 103 early hints) and, had redirects been on, each hop. Only the
/// last, final head counts.
struct ResponseHeadParser: Sendable {
    private(set) var status: Int?
    private(set) var headers: [HTTPHeader] = []
    /// True once the blank line ending a final (non-1xx) head has been seen.
    private(set) var isComplete = false

    /// Feeds one line (with or without its CRLF). Returns true exactly when this line completed
    /// the final head.
    mutating func feed(_ raw: UnsafeRawBufferPointer) -> Bool {
        var end = raw.count
        while end > 0, raw[end - 1] == 0x0A || raw[end - 1] == 0x0D { end -= 1 }
        let line = UnsafeRawBufferPointer(rebasing: raw[0..<end])

        if line.starts(with: "HTTP/".utf8) {
            status = Self.parseStatus(line)
            headers = []
            isComplete = false
            return false
        }
        if isComplete {
            return false  // trailers after a chunked body are not part of the head
        }
        if line.isEmpty {
            guard let status else { return false }
            // 101 switches protocols and is final; other 1xx heads are followed by another.
            if status >= 200 || status == 101 || status < 100 {
                isComplete = true
                return true
            }
            return false
        }
        if line[0] == 0x20 || line[0] == 0x09, !headers.isEmpty {
            // obs-fold continuation line: belongs to the previous header's value
            headers[headers.count - 1].value += " " + Self.trimmed(line)
            return false
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return false }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<colon]), as: UTF8.self)
        let value = Self.trimmed(UnsafeRawBufferPointer(rebasing: line[(colon + 1)...]))
        headers.append(HTTPHeader(name, value))
        return false
    }

    private static func parseStatus(_ line: UnsafeRawBufferPointer) -> Int? {
        // "HTTP/1.1 200 OK", "HTTP/2 200": the code is the second space-separated field.
        guard let space = line.firstIndex(of: 0x20) else { return nil }
        var code = 0
        var digits = 0
        var i = space + 1
        while i < line.count, line[i] >= 0x30, line[i] <= 0x39, digits < 3 {
            code = code * 10 + Int(line[i] - 0x30)
            digits += 1
            i += 1
        }
        return digits == 3 ? code : nil
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> String {
        var start = 0
        var end = bytes.count
        while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
        while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}
