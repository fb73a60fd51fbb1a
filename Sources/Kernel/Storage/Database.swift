import Logging
import PostgresNIO

/// The server's connection pool. `client` runs as a service of the application (its `run()`
/// drives the pool); every query of the kernel and its plugins goes through it.
public struct Database: Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(url: DatabaseURL, logger: Logger) {
        self.client = PostgresClient(configuration: url.clientConfiguration(), backgroundLogger: logger)
        self.logger = logger
    }

    /// `true` when the server answers a trivial query within `timeout`.
    public func ping(timeout: Duration = .seconds(2)) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                (try? await self.client.query("SELECT 1", logger: self.logger)) != nil
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
