/// A start-up failure the operator must act on; its description is the one line printed.
struct HostError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
