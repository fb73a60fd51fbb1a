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

/// SQL for figures read from `insight_counters` (kernel migration `0006_insight_counters`):
/// plugins keep counters by UTC day in their triggers; a figure over "the last N days" sums the
/// counters of the whole days after the window's first day and counts that first, partial day
/// in the records themselves, through an index — exact, and a few rows whatever the table's size.
public enum InsightCounters {
    /// Today's UTC date.
    public static let today = "((now() AT TIME ZONE 'UTC')::date)"

    /// The first day of this month (UTC).
    public static let monthStart = "(date_trunc('month', now() AT TIME ZONE 'UTC')::date)"

    /// The UTC date on which a window of `interval` (such as `'7 days'`) back from now starts.
    public static func firstDay(of interval: String) -> String {
        "(((now() - interval '\(interval)') AT TIME ZONE 'UTC')::date)"
    }

    /// The window's start and the end of its first day, as timestamps: `column >= start AND
    /// column < end` is the part of the first day inside the window.
    public static func partialFirstDay(of interval: String, column: String) -> String {
        "\(column) >= now() - interval '\(interval)' AND \(column) < ((\(firstDay(of: interval)) + 1)::timestamp AT TIME ZONE 'UTC')"
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
