import Foundation
import Kube
import KubeCore
import Synchronization

/// Real HTTP(S) servers for the transport tests: Python's `http.server` and `ssl` in
/// subprocesses on 127.0.0.1, with certificates made by the `openssl` CLI. Each server exits
/// when its stdin closes, i.e. when the test process ends, however it ends.
final class TestServers: Sendable {
    static let shared = TestServers()

    let directory: URL
    let caA: [UInt8]
    let caB: [UInt8]
    let clientCert: [UInt8]
    let clientKey: [UInt8]
    /// A directory prepared like /etc/ssl/certs (hashed names) holding only CA B.
    let caBDirectory: String

    let plain: Server
    /// Server certificate from CA A; asks for a client certificate but does not require one.
    let tlsA: Server
    /// Server certificate from CA A; refuses clients without a certificate from CA A.
    let mutualTLS: Server
    /// Server certificate from CA B.
    let tlsB: Server

    private init() {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("transport-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try! FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let d = directory.path
        try! Self.opensslConfig.write(toFile: "\(d)/openssl.cnf", atomically: true, encoding: .utf8)
        try! Self.serverScript.write(toFile: "\(d)/server.py", atomically: true, encoding: .utf8)

        Self.makeCA("caA", in: d)
        Self.makeCA("caB", in: d)
        Self.makeLeaf("serverA", ca: "caA", cn: "server", extensions: "server_ext", in: d)
        Self.makeLeaf("serverB", ca: "caB", cn: "server", extensions: "server_ext", in: d)
        Self.makeLeaf("client", ca: "caA", cn: "alice", extensions: "client_ext", in: d, org: "devs")
        caBDirectory = "\(d)/cadir"
        try! FileManager.default.createDirectory(atPath: caBDirectory, withIntermediateDirectories: true)
        try! FileManager.default.copyItem(atPath: "\(d)/caB.crt", toPath: "\(caBDirectory)/caB.pem")
        Self.run("/usr/bin/env", ["openssl", "rehash", caBDirectory])

        func bytes(_ name: String) -> [UInt8] { Array(FileManager.default.contents(atPath: "\(d)/\(name)")!) }
        caA = bytes("caA.crt")
        caB = bytes("caB.crt")
        clientCert = bytes("client.crt")
        clientKey = bytes("client.key")

        // The plain server removes the directory when the test process ends and its stdin closes.
        plain = Server(script: "\(d)/server.py", arguments: ["--cleanup", d])
        tlsA = Server(
            script: "\(d)/server.py",
            arguments: ["--cert", "\(d)/serverA.crt", "--key", "\(d)/serverA.key", "--client-ca", "\(d)/caA.crt"])
        mutualTLS = Server(
            script: "\(d)/server.py",
            arguments: [
                "--cert", "\(d)/serverA.crt", "--key", "\(d)/serverA.key", "--client-ca", "\(d)/caA.crt",
                "--require-client-cert",
            ])
        tlsB = Server(script: "\(d)/server.py", arguments: ["--cert", "\(d)/serverB.crt", "--key", "\(d)/serverB.key"])
        // Servers read script, certificates and keys before reporting their port; the CA
        // directory is read per handshake and stays.
        for name in ["caA.key", "caB.key", "serverA.key", "serverB.key", "client.key", "server.py"] {
            try? FileManager.default.removeItem(atPath: "\(d)/\(name)")
        }
    }

    private static func makeCA(_ name: String, in d: String) {
        run(
            "/usr/bin/env",
            [
                "openssl", "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-nodes", "-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).crt", "-subj", "/CN=smitop test \(name)",
                "-days", "3", "-config", "\(d)/openssl.cnf", "-extensions", "ca_ext",
            ])
    }

    private static func makeLeaf(
        _ name: String, ca: String, cn: String, extensions: String, in d: String, org: String? = nil
    ) {
        let subject = org.map { "/O=\($0)/CN=\(cn)" } ?? "/CN=\(cn)"
        run(
            "/usr/bin/env",
            [
                "openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "\(d)/\(name).key", "-out", "\(d)/\(name).csr", "-subj", subject,
                "-config", "\(d)/openssl.cnf",
            ])
        run(
            "/usr/bin/env",
            [
                "openssl", "x509", "-req", "-in", "\(d)/\(name).csr", "-CA", "\(d)/\(ca).crt", "-CAkey",
                "\(d)/\(ca).key", "-set_serial", "\(UInt32.random(in: 1...UInt32.max))", "-out", "\(d)/\(name).crt",
                "-days", "2", "-extfile", "\(d)/openssl.cnf", "-extensions", extensions,
            ])
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) -> Int32 {
        // Not Foundation's Process: it can lose a child's exit when many run at once.
        let out = try! ChildProcess.runBlocking(
            executable, arguments, options: .init(environment: ProcessInfo.processInfo.environment, timeout: 120))
        precondition(out.status == 0, "\(arguments.prefix(2)) failed: \(String(decoding: out.stderr, as: UTF8.self))")
        return out.status
    }

    static let opensslConfig = """
        [req]
        distinguished_name = dn
        prompt = no
        [dn]
        CN = unused
        [ca_ext]
        basicConstraints = critical,CA:TRUE
        keyUsage = critical,keyCertSign,cRLSign
        subjectKeyIdentifier = hash
        [server_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = IP:127.0.0.1,DNS:localhost,DNS:kube.test.internal
        authorityKeyIdentifier = keyid
        [client_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = clientAuth
        authorityKeyIdentifier = keyid

        """

    /// Endpoints:
    /// /echo[?status=N]   JSON of method, raw path, headers, base64 body, client-cert CN
    /// /stream?name=X&n=N chunked: line 0, then waits for /release?name=X, then lines 1...N
    /// /hold?name=X       head and one chunk, then silence until the client goes away
    /// /hang?name=X       reads the request, never answers, notes when the client goes away
    /// /flood?name=X&lines=N  chunked: lines "00000000" to N-1 as fast as the client takes
    ///                    them, then the end; notes "all-sent"
    /// /events?name=X     what happened under name X ("arrived", "first-sent", "disconnected")
    static let serverScript = #"""
        import sys, os, ssl, json, base64, threading, select, argparse
        from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
        from urllib.parse import urlsplit, parse_qs

        ap = argparse.ArgumentParser()
        ap.add_argument("--cert"); ap.add_argument("--key"); ap.add_argument("--client-ca")
        ap.add_argument("--require-client-cert", action="store_true")
        ap.add_argument("--cleanup")
        args = ap.parse_args()

        lock = threading.Lock()
        events = {}
        releases = {}

        def note(name, what):
            with lock:
                events.setdefault(name, []).append(what)

        def release_flag(name):
            with lock:
                return releases.setdefault(name, threading.Event())

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            def log_message(self, *a):
                pass

            def chunk(self, data):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.flush()

            def wait_for_disconnect(self, name, limit=120.0):
                sock = self.connection
                waited = 0.0
                while waited < limit:
                    r, _, _ = select.select([sock], [], [], 0.05)
                    waited += 0.05
                    if r:
                        try:
                            data = sock.recv(1)
                        except Exception:
                            data = b""
                        if not data:
                            note(name, "disconnected")
                            self.close_connection = True
                            return

            def reply(self, status, body, ctype="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Multi", "a")
                self.send_header("X-Multi", "b")
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def handle_any(self):
                u = urlsplit(self.path)
                q = {k: v[0] for k, v in parse_qs(u.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                name = q.get("name", "")
                if u.path == "/echo":
                    cn = None
                    getpeercert = getattr(self.connection, "getpeercert", None)
                    cert = getpeercert() if getpeercert else None
                    if cert:
                        for rdn in cert.get("subject", ()):
                            for k, v in rdn:
                                if k == "commonName":
                                    cn = v
                    out = json.dumps({
                        "method": self.command, "path": self.path,
                        "headers": [[k, v] for k, v in self.headers.items()],
                        "body": base64.b64encode(body).decode(), "clientCN": cn,
                        "peerPort": self.client_address[1],
                    }).encode()
                    self.reply(int(q.get("status", "200")), out)
                elif u.path == "/stream":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.chunk(b'{"i":0}\n')
                    note(name, "first-sent")
                    if not release_flag(name).wait(120):
                        self.close_connection = True
                        return
                    for i in range(1, int(q.get("n", "3")) + 1):
                        # split a line across two chunks: the client must not rely on framing
                        line = b'{"i":%d}\n' % i
                        self.chunk(line[:3]); self.chunk(line[3:])
                    self.wfile.write(b"0\r\n\r\n"); self.wfile.flush()
                elif u.path == "/hold":
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.chunk(b"first\n")
                    note(name, "first-sent")
                    self.wait_for_disconnect(name)
                elif u.path == "/flood":
                    self.send_response(200)
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    n = int(q.get("lines", "1000"))
                    for start in range(0, n, 1000):
                        self.chunk(b"".join(b"%08d\n" % i for i in range(start, min(n, start + 1000))))
                    self.wfile.write(b"0\r\n\r\n"); self.wfile.flush()
                    note(name, "all-sent")
                elif u.path == "/hang":
                    note(name, "arrived")
                    self.wait_for_disconnect(name)
                elif u.path == "/release":
                    release_flag(name).set()
                    self.reply(200, b"{}")
                elif u.path == "/events":
                    with lock:
                        out = json.dumps(events.get(name, [])).encode()
                    self.reply(200, out)
                else:
                    self.reply(404, b'{"error":"not found"}')

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            # socketserver's default backlog of 5 drops SYNs under 50 concurrent connects.
            request_queue_size = 256
            context = None
            def finish_request(self, request, client_address):
                if self.context is not None:
                    try:
                        request = self.context.wrap_socket(request, server_side=True)
                    except Exception:
                        return
                super().finish_request(request, client_address)

        server = Server(("127.0.0.1", 0), Handler)
        if args.cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(args.cert, args.key)
            if args.client_ca:
                ctx.load_verify_locations(args.client_ca)
                ctx.verify_mode = ssl.CERT_REQUIRED if args.require_client_cert else ssl.CERT_OPTIONAL
            server.context = ctx

        def watch_stdin():
            sys.stdin.read()
            if args.cleanup:
                import shutil
                shutil.rmtree(args.cleanup, ignore_errors=True)
            os._exit(0)
        threading.Thread(target=watch_stdin, daemon=True).start()
        print("PORT", server.server_address[1], flush=True)
        server.serve_forever()
        """#
}

/// One server subprocess. The stdin pipe is held for the life of the test process.
final class Server: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let stdin: Pipe

    init(script: String, arguments: [String]) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script] + arguments
        let stdin = Pipe()
        let stdout = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        try! process.run()
        // Blocking read of one line: the server prints its port once it listens.
        var line = [UInt8]()
        let handle = stdout.fileHandleForReading
        while true {
            let byte = handle.readData(ofLength: 1)
            guard let b = byte.first else { fatalError("test server exited before listening") }
            if b == 0x0A { break }
            line.append(b)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            fatalError("unexpected test server output: \(text)")
        }
        self.port = port
        self.process = process
        self.stdin = stdin
    }

    var http: String { "http://127.0.0.1:\(port)" }
    var https: String { "https://127.0.0.1:\(port)" }
}
