import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle

/// The simulator's HTTP server as one service, built from HummingbirdCore directly.
///
/// Why not Hummingbird's `Application`: it runs a second service that wakes every second to
/// refresh a cached Date header, so a paused `smitop demo` (simulator in-process) never slept.
/// Here the header is formatted per response (a few integer conversions). Everything else is
/// what `Application` does: one context per request, any error but a parse error becomes a 500.
struct SimHTTPService: Service {
    let handler: APIHandler
    let builder: HTTPServerBuilder
    let configuration: ServerConfiguration
    let logger: Logger
    let onServerRunning: @Sendable (any Channel) async -> Void

    func run() async throws {
        let (handler, logger) = (handler, logger)
        let server = try builder.buildServer(
            configuration: configuration, eventLoopGroup: MultiThreadedEventLoopGroup.singleton, logger: logger
        ) { request, writer, channel in
            let context = SimContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await handler.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                // The request could not be read: the channel answers it, not us.
                throw error
            } catch {
                response = Response(status: .internalServerError)
            }
            // A granted upgrade (port-forward) has written its own 101 and owns the connection
            // now: nothing more may be written through the HTTP encoder.
            if response.status == .switchingProtocols { return }
            response.headers[.date] = HTTPDate.imfFixdate(Date())
            try await writer.write(response: response.head, body: response.body)
        } onServerRunning: { channel in
            await onServerRunning(channel)
        }
        try await server.run()
    }
}

enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RFC 9110's IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), never localised (the TUI
    /// sets the locale from the environment, which strftime would follow).
    static func imfFixdate(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return
            "\(days[Int(tm.tm_wday)]), \(two(tm.tm_mday)) \(months[Int(tm.tm_mon)]) \(1900 + tm.tm_year) \(two(tm.tm_hour)):\(two(tm.tm_min)):\(two(tm.tm_sec)) GMT"
    }
}
