// A simulator inside another program (`smitop demo`, the benchmarks).

public struct EmbeddedSimulatorError: Error, CustomStringConvertible {
    public var description: String { "the embedded simulator did not start" }
}

extension Simulator {
    /// Starts a simulator in this process on a free loopback port: returns once it listens,
    /// with the task that runs it (cancel it to stop the server).
    public static func startEmbedded(_ options: SimulatorOptions) async throws -> (SimulatorEndpoint, Task<Void, any Error>) {
        let sim = try Simulator(options: options)
        let ready = AsyncStream<SimulatorEndpoint>.makeStream()
        let server = Task {
            try await sim.run { e in
                ready.continuation.yield(e)
                ready.continuation.finish()
            }
        }
        var it = ready.stream.makeAsyncIterator()
        guard let endpoint = await it.next() else {
            server.cancel()
            throw EmbeddedSimulatorError()
        }
        return (endpoint, server)
    }
}
