internal import CZlib

/// SPDY/3 header-block compression: one zlib stream per direction for the whole connection,
/// primed with the SPDY/3 dictionary, each block ended by a sync flush. Not Sendable: one
/// connection's handler owns it on its event loop.
final class SPDYHeaderCodec {
    /// An inflated header block larger than this is refused (kubectl's are a few hundred bytes).
    static let maxInflated = 64 << 10

    private var inflater = z_stream()
    private var deflater = z_stream()
    private var inflaterReady = false
    private var deflaterReady = false

    init() {}

    deinit {
        if inflaterReady { inflateEnd(&inflater) }
        if deflaterReady { deflateEnd(&deflater) }
    }

    /// The uncompressed block of `compressed`, the next block of the peer's stream.
    func inflate(_ compressed: [UInt8]) throws(SPDYProtocolError) -> [UInt8] {
        if !inflaterReady {
            guard smt_inflate_init(&inflater) == Z_OK else { throw SPDYProtocolError("zlib inflateInit failed") }
            inflaterReady = true
        }
        guard !compressed.isEmpty else { return [] }
        var input = compressed
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var failure: String?
        input.withUnsafeMutableBufferPointer { inBuf in
            inflater.next_in = inBuf.baseAddress
            inflater.avail_in = uInt(inBuf.count)
            while true {
                let rc = chunk.withUnsafeMutableBufferPointer { outBuf -> Int32 in
                    inflater.next_out = outBuf.baseAddress
                    inflater.avail_out = uInt(outBuf.count)
                    return CZlib.inflate(&inflater, Z_SYNC_FLUSH)
                }
                out.append(contentsOf: chunk[0..<(chunk.count - Int(inflater.avail_out))])
                if out.count > Self.maxInflated {
                    failure = "header block inflates past \(Self.maxInflated) bytes"
                    break
                }
                if rc == Z_NEED_DICT {
                    let set = SPDYDictionary.bytes.withUnsafeBufferPointer { inflateSetDictionary(&inflater, $0.baseAddress, uInt($0.count)) }
                    if set != Z_OK {
                        failure = "header block uses an unknown zlib dictionary"
                        break
                    }
                    continue
                }
                guard rc == Z_OK || rc == Z_BUF_ERROR || rc == Z_STREAM_END else {
                    failure = "header block does not inflate (zlib \(rc))"
                    break
                }
                // Done when the input is used up and the output had room to spare; a full
                // output chunk may hide more.
                if inflater.avail_out > 0 {
                    if inflater.avail_in > 0 && rc != Z_STREAM_END { failure = "header block does not inflate (zlib \(rc))" }
                    break
                }
            }
            inflater.next_in = nil
            inflater.avail_in = 0
        }
        if let failure { throw SPDYProtocolError(failure) }
        return out
    }

    /// `block` compressed as the next block of this side's stream.
    func deflate(_ block: [UInt8]) throws(SPDYProtocolError) -> [UInt8] {
        if !deflaterReady {
            guard smt_deflate_init(&deflater, Z_DEFAULT_COMPRESSION) == Z_OK else { throw SPDYProtocolError("zlib deflateInit failed") }
            let set = SPDYDictionary.bytes.withUnsafeBufferPointer { deflateSetDictionary(&deflater, $0.baseAddress, uInt($0.count)) }
            guard set == Z_OK else { throw SPDYProtocolError("zlib deflateSetDictionary failed") }
            deflaterReady = true
        }
        var input = block
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        var failed = false
        input.withUnsafeMutableBufferPointer { inBuf in
            deflater.next_in = inBuf.baseAddress
            deflater.avail_in = uInt(inBuf.count)
            repeat {
                let rc = chunk.withUnsafeMutableBufferPointer { outBuf -> Int32 in
                    deflater.next_out = outBuf.baseAddress
                    deflater.avail_out = uInt(outBuf.count)
                    return CZlib.deflate(&deflater, Z_SYNC_FLUSH)
                }
                if rc != Z_OK && rc != Z_BUF_ERROR {
                    failed = true
                    break
                }
                out.append(contentsOf: chunk[0..<(chunk.count - Int(deflater.avail_out))])
            } while deflater.avail_out == 0
            deflater.next_in = nil
            deflater.avail_in = 0
        }
        if failed { throw SPDYProtocolError("zlib deflate failed") }
        return out
    }
}

/// The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00 §2.6.10.1),
/// built from its two parts: length-prefixed header names and values, then a run of text.
/// A peer's inflate checks its Adler-32, so a single wrong byte fails every stream.
enum SPDYDictionary {
    private static let words = [
        "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding", "accept-language",
        "accept-ranges", "age", "allow", "authorization", "cache-control", "connection", "content-base", "content-encoding",
        "content-language", "content-length", "content-location", "content-md5", "content-range", "content-type", "date", "etag",
        "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
        "last-modified", "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
        "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
        "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
        "keep-alive", "origin",
    ]
    private static let text =
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
        + "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized"
        + "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable"
        + "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT"
        + "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,"
        + "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."

    static let bytes: [UInt8] = {
        var out: [UInt8] = []
        for w in words {
            out += SPDYFrame.be32(UInt32(w.utf8.count)) + Array(w.utf8)
        }
        return out + Array(text.utf8)
    }()
}
