import Foundation

extension UUID {
    /// The lower-case form ids take in the API.
    public var text: String { uuidString.lowercased() }
}
