/// An object from a cluster or a file that could not be decoded into its model: the JSON path
/// of the offending value ("spec.backends[1].weight", "" for the object) and why. Shared by
/// every kind's decoder (SMI, Gateway API), so callers show one shape of problem.
public struct ObjectDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(_ path: String, _ message: String) {
        self.path = path
        self.message = message
    }
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
