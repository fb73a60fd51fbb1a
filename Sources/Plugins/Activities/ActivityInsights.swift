import Foundation
import Kernel
import OpenAPIKit
import PostgresNIO

/// The activities' part of the dashboard (API.md, Insights): the summary's due and overdue
/// counts and `GET /insights/activities`, per owner. Open = `completedAt` null; today is the
/// current UTC date; deleted activities count nowhere.
struct ActivityInsights {
    let services: KernelServices

    var logger: Logger { services.logger }

    /// The start of today (UTC) as SQL.
    static let today = "(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"

    func register(into registrar: PluginRegistrar) {
        registrar.insightFigures { org, connection in
            let rows = try await connection.query(
                """
                SELECT count(*) FILTER (WHERE due_at >= \(unescaped: Self.today))::int, count(*) FILTER (WHERE due_at < \(unescaped: Self.today))::int
                FROM activities
                WHERE org_id = \(org) AND deleted_at IS NULL AND completed_at IS NULL AND due_at < \(unescaped: Self.today) + interval '1 day'
                """, logger: logger)
            var figures: [String: JSONValue] = ["activitiesDueToday": 0, "activitiesOverdue": 0]
            for try await (due, overdue) in rows.decode((Int, Int).self) {
                figures = ["activitiesDueToday": .int(Int64(due)), "activitiesOverdue": .int(Int64(overdue))]
            }
            return figures
        }
        registrar.routes.tagged("insights").get("/insights/activities", requires: .declared("activities.read"), doc: Self.doc) {
            _, _, principal in
            let org = principal.organizationID
            let owners = try await services.database.withScope(principal.scope) { connection -> [JSONValue] in
                let rows = try await connection.query(
                    """
                    SELECT owner_id,
                           count(*) FILTER (WHERE completed_at IS NULL AND due_at >= \(unescaped: Self.today))::int,
                           count(*) FILTER (WHERE completed_at IS NULL AND due_at < \(unescaped: Self.today))::int,
                           count(*) FILTER (WHERE completed_at >= now() - interval '7 days')::int
                    FROM activities
                    WHERE org_id = \(org) AND deleted_at IS NULL
                      AND ((completed_at IS NULL AND due_at < \(unescaped: Self.today) + interval '1 day')
                           OR completed_at >= now() - interval '7 days')
                    GROUP BY owner_id ORDER BY owner_id NULLS LAST
                    """, logger: logger)
                var owners: [JSONValue] = []
                for try await (owner, due, overdue, done) in rows.decode((UUID?, Int, Int, Int).self) {
                    owners.append([
                        "ownerId": owner.map { .string($0.text) } ?? .null, "due": .int(Int64(due)),
                        "overdue": .int(Int64(overdue)), "doneLast7Days": .int(Int64(done)),
                    ])
                }
                return owners
            }
            return try JSONResponse.make(.ok, JSONValue.object(["data": .array(owners)]))
        }
    }

    static var doc: APIOperation {
        let count = JSONSchema.integer(minimum: (0, exclusive: false))
        let owner = JSONSchema.object(properties: [
            "ownerId": .string(format: .uuid, nullable: true, description: "The owner; null for activities without one."),
            "due": count.with(description: "Open, due today (UTC)."),
            "overdue": count.with(description: "Open, due before today (UTC)."),
            "doneLast7Days": count.with(description: "Completed in the last 7 days."),
        ])
        return APIOperation(
            "getActivityInsights", "Open and done activities by owner",
            description: "Owners with nothing due, overdue or done in the last 7 days are left out.",
            response: APISchema.list(of: owner))
    }
}

enum ActivityInsightsMigrations {
    /// The insights' reads: activities completed lately, per owner.
    static let indexes = Migration("0002_insights", """
        CREATE INDEX activities_completed ON activities (org_id, completed_at) WHERE deleted_at IS NULL AND completed_at IS NOT NULL;
        """)
}
