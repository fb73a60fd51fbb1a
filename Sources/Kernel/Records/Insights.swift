import Foundation
import Hummingbird
import OpenAPIKit
import PostgresNIO
import Synchronization

/// The dashboard's figures (API.md, Insights). `GET /insights/summary` is the kernel's: each
/// plugin contributes the figures of its own records (deals the pipeline's, activities what is
/// due, contacts the new ones), computed in SQL over the caller's organization; only enabled
/// plugins' figures appear. Plugins serve their detailed insights on routes of their own.
public final class InsightFigures: Sendable {
    /// The figures of one plugin, by name, from a connection acting as the organization.
    public typealias Figures = @Sendable (_ organizationID: UUID, PostgresConnection) async throws -> [String: JSONValue]

    private let contributors = Mutex<[(pluginID: String, figures: Figures)]>([])

    func add(pluginID: String, _ figures: @escaping Figures) {
        contributors.withLock { $0.append((pluginID, figures)) }
    }

    func summary(for principal: Principal, services: KernelServices) async throws -> [String: JSONValue] {
        let tenant = try await services.pluginStates.tenant(principal.organizationID)
        let active = contributors.withLock { $0 }.filter { tenant.enabled[$0.pluginID] == true }
        return try await services.database.withScope(principal.scope) { connection in
            var result: [String: JSONValue] = [:]
            for contributor in active {
                result.merge(try await contributor.figures(principal.organizationID, connection)) { _, new in new }
            }
            return result
        }
    }

    /// `[{currency, amount}]` from rows of (currency, summed amount as text), amounts rounded to
    /// cents; for plugins' SQL, which sums `numeric` exactly and hands the text on.
    public static func amounts(_ rows: [(String, String?)]) -> JSONValue {
        .array(rows.map { currency, amount in
            ["currency": .string(currency), "amount": .double(((Double(amount ?? "0") ?? 0) * 100).rounded() / 100)]
        })
    }

    /// The schema of an `amounts` list.
    public static var amountsSchema: JSONSchema {
        .array(
            description: "Sums by currency, never converted.",
            items: .object(properties: ["currency": APISchema.currencyCode, "amount": .number(examples: [12500.5])]))
    }
}

extension PluginRegistrar {
    /// Adds this plugin's figures to `GET /insights/summary` (for tenants that enable it).
    public func insightFigures(_ figures: @escaping InsightFigures.Figures) {
        services.insights.add(pluginID: pluginID, figures)
    }
}

/// `GET /insights/summary`.
struct InsightRoutes {
    let services: KernelServices

    func register(on routes: APIRoutes) {
        let routes = routes.tagged("insights")
        let count = JSONSchema.integer(minimum: (0, exclusive: false))
        let money = JSONSchema.object(properties: ["count": count, "amounts": InsightFigures.amountsSchema])
        let summary = JSONSchema.object(
            title: "InsightsSummary",
            description: "The figures of the organization's enabled plugins (a disabled plugin's are absent).",
            properties: [
                "openPipeline": money.with(description: "Deals in an `open` stage.").required(false),
                "wonThisMonth": money.with(description: "Deals that entered a `won` stage this month (UTC).").required(false),
                "activitiesDueToday": count.with(description: "Open activities due today (UTC).").required(false),
                "activitiesOverdue": count.with(description: "Open activities due before today (UTC).").required(false),
                "newContacts30d": count.with(description: "Contacts created in the last 30 days.").required(false),
            ])
        routes.get("/insights/summary", requires: .recordsRead, doc: APIOperation(
            "getInsightsSummary", "The dashboard's figures",
            description: "Computed in the database over the organization; amounts grouped by currency; deleted records count nowhere.",
            response: summary)
        ) { _, _, principal in
            try JSONResponse.make(.ok, JSONValue.object(try await services.insights.summary(for: principal, services: services)))
        }
    }
}
