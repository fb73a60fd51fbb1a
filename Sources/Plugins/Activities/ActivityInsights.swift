import Foundation
import Kernel
import OpenAPIKit
import PostgresNIO

/// The activities' part of the dashboard (API.md, Insights): the summary's due and overdue
/// counts and `GET /insights/activities`, per owner, read from counters (a few rows per owner
/// and day) rather than from the activities themselves. Open = `completedAt` null; today is the
/// current UTC date; deleted activities count nowhere.
struct ActivityInsights {
    let services: KernelServices

    var logger: Logger { services.logger }

    func register(into registrar: PluginRegistrar) {
        registrar.insightFigures { org, connection in
            let totals = try await figures(org, on: connection).values
            return [
                "activitiesDueToday": .int(Int64(totals.reduce(0) { $0 + $1.due })),
                "activitiesOverdue": .int(Int64(totals.reduce(0) { $0 + $1.overdue })),
            ]
        }
        registrar.routes.tagged("insights").get("/insights/activities", requires: .declared("activities.read"), doc: Self.doc) {
            _, _, principal in
            let org = principal.organizationID
            let owners = try await services.database.withScope(principal.scope) { connection in
                try await figures(org, on: connection, withDone: true)
            }
            // Owners in id order, activities without an owner last.
            let data: [JSONValue] = owners.sorted { ($0.key.isEmpty ? 1 : 0, $0.key) < ($1.key.isEmpty ? 1 : 0, $1.key) }
                .filter { $0.value.due + $0.value.overdue + $0.value.done > 0 }
                .map { owner, figures in
                    [
                        "ownerId": owner.isEmpty ? .null : .string(owner), "due": .int(Int64(figures.due)),
                        "overdue": .int(Int64(figures.overdue)), "doneLast7Days": .int(Int64(figures.done)),
                    ]
                }
            return try JSONResponse.make(.ok, JSONValue.object(["data": .array(data)]))
        }
    }

    struct OwnerFigures {
        var due = 0, overdue = 0, done = 0
    }

    /// Figures by owner (the owner's id as text, "" for none) from the counters of migration
    /// `0003_insight_counters`: overdue = open with a due date − open due today or later.
    func figures(_ org: UUID, on connection: PostgresConnection, withDone: Bool = false) async throws -> [String: OwnerFigures] {
        let today = InsightCounters.today
        let week = "7 days"
        let rows = try await connection.query(
            """
            SELECT key, coalesce(sum(n) FILTER (WHERE name = 'activities.due' AND day = \(unescaped: today)), 0)::int,
                   (coalesce(sum(n) FILTER (WHERE name = 'activities.open'), 0) - coalesce(sum(n) FILTER (WHERE name = 'activities.due'), 0))::int,
                   coalesce(sum(n) FILTER (WHERE name = 'activities.done'), 0)::int
            FROM insight_counters
            WHERE org_id = \(org) AND ((name = 'activities.open' AND day = '-infinity') OR (name = 'activities.due' AND day >= \(unescaped: today))
                                     OR (\(withDone) AND name = 'activities.done' AND day > \(unescaped: InsightCounters.firstDay(of: week))))
            GROUP BY key
            """, logger: logger)
        var owners: [String: OwnerFigures] = [:]
        for try await (owner, due, overdue, done) in rows.decode((String, Int, Int, Int).self) {
            owners[owner] = OwnerFigures(due: due, overdue: overdue, done: done)
        }
        guard withDone else { return owners }
        // The window's first day, only partly in the last 7 days: counted in the activities.
        let firstDay = try await connection.query(
            """
            SELECT coalesce(owner_id::text, ''), count(*)::int FROM activities
            WHERE org_id = \(org) AND deleted_at IS NULL AND \(unescaped: InsightCounters.partialFirstDay(of: week, column: "completed_at"))
            GROUP BY 1
            """, logger: logger)
        for try await (owner, done) in firstDay.decode((String, Int).self) {
            owners[owner, default: OwnerFigures()].done += done
        }
        return owners
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

    /// The insights' counters (kernel `insight_counters`, statement triggers `crm_counted`), by
    /// owner (`key`: the owner's id, "" for none): live open activities with a due date
    /// (`activities.open`), the same by UTC due day (`activities.due`), and live completed
    /// activities by UTC completion day (`activities.done`).
    static let counters = Migration("0003_insight_counters", """
        CREATE FUNCTION crm_activity_counts(a activities, sign int) RETURNS SETOF crm_count_delta LANGUAGE sql STABLE AS $$
            SELECT crm_count_delta(a.org_id, c.name, c.day, coalesce(a.owner_id::text, ''), a.id, sign, 0)
            FROM (VALUES ('activities.open', '-infinity'::date), ('activities.due', (a.due_at AT TIME ZONE 'UTC')::date)) c (name, day)
            WHERE a.deleted_at IS NULL AND a.completed_at IS NULL AND a.due_at IS NOT NULL
            UNION ALL
            SELECT crm_count_delta(a.org_id, 'activities.done', (a.completed_at AT TIME ZONE 'UTC')::date, coalesce(a.owner_id::text, ''), a.id, sign, 0)
            WHERE a.deleted_at IS NULL AND a.completed_at IS NOT NULL
        $$;
        \(KernelMigrations.counted("activities", by: "crm_activity_counts"))
        """)
}
