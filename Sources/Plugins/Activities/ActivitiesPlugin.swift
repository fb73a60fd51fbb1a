import Foundation
import Hummingbird
import Kernel
import OpenAPIKit

/// Tasks, calls, meetings, notes and emails linked to deals, contacts and companies.
public struct ActivitiesPlugin: CRMPlugin {
    public init() {}

    public let manifest = PluginManifest(
        id: "activities", name: "Activities", version: "1.0.0",
        summary: "Tasks, calls, meetings, notes and emails",
        dependsOn: ["contacts"],
        permissions: PluginManifest.readWrite("activities"),
        entities: ["activities"])

    public var migrations: [Migration] { [ActivitiesMigrations.table, ActivityInsightsMigrations.indexes, ActivityInsightsMigrations.counters, ActivitiesMigrations.sortIndexes, ActivitiesMigrations.searchTerms, ActivitiesMigrations.sortSlots] }

    public func register(into registrar: PluginRegistrar) {
        registrar.entity(ActivitySchema.schema)
        ActivityInsights(services: registrar.services).register(into: registrar)
        let records = registrar.services.records
        registrar.routes.post("/activities/:id/complete", requires: .declared("activities.write"), doc: Self.completeDoc) { request, context, principal in
            let stored = try await records.update(
                ActivitySchema.schema, id: try context.uuidParameter("id"),
                body: ["completedAt": .string(DateTimeFieldType.format(Date()))], replace: false,
                precondition: try RecordResponse.precondition(request), principal: principal)
            return RecordResponse.record(.ok, stored)
        }
    }

    static let completeDoc = APIOperation(
        "completeActivity", "Complete an activity",
        description: "Sets `completedAt` to the current time (an already completed activity gets the new time). Checks that fail on the update, such as a required custom field or a script's rejection, answer 422.",
        response: APISchema.ref("Activity"), responseHeaders: ["ETag"], parameters: [APIParameters.ifMatch], errors: [412, 422])
}

/// An activity: what kind, what about, when, and what it is linked to.
enum ActivitySchema {
    static let schema = EntitySchema(
        name: "activities", table: "activities", pluginID: "activities",
        fields: [
            FieldSpec("type", column: "type", SelectFieldType(), required: true, options: ["task", "call", "meeting", "note", "email"]),
            FieldSpec("subject", column: "subject", TextFieldType(), required: true, maxLength: 200, searchable: true),
            FieldSpec("body", column: "body", TextFieldType(), maxLength: 20_000, searchable: true),
            FieldSpec("dueAt", column: "due_at", DateTimeFieldType()),
            FieldSpec("completedAt", column: "completed_at", DateTimeFieldType()),
            FieldSpec("dealId", column: "deal_id", ReferenceFieldType("deals")),
            FieldSpec("contactId", column: "contact_id", ReferenceFieldType("contacts")),
            FieldSpec("companyId", column: "company_id", ReferenceFieldType("companies")),
            FieldSpec("ownerId", column: "owner_id", ReferenceFieldType("members")),
        ],
        titleSQL: "t.subject")
}

enum ActivitiesMigrations {
    /// Lists sorted by the fields people sort by are served by indexes (issue 20).
    /// `q` and `/search` read the kernel's `search_terms` (issue 20).
    static let searchTerms = Migration("0005_search_terms", KernelMigrations.searchTerms("activities"))
    /// Indexed custom fields' sort columns (issue 20).
    static let sortSlots = Migration("0006_sort_slots", KernelMigrations.sortSlots("activities"))

    static let sortIndexes = Migration("0004_sort_indexes", """
        \(KernelMigrations.sortIndexes("activities", columns: ["subject", "due_at", "updated_at"]))
        """)

    static let table = Migration("0001_activities", [
        KernelMigrations.entityTable("activities", columns: [
            "type text NOT NULL", "subject text NOT NULL", "body text", "due_at timestamptz", "completed_at timestamptz",
            "deal_id uuid", "contact_id uuid", "company_id uuid", "owner_id uuid",
        ], searchSQL: "coalesce(subject, '') || ' ' || coalesce(body, '')"),
        "CREATE INDEX activities_deal ON activities (org_id, deal_id) WHERE deleted_at IS NULL",
        "CREATE INDEX activities_due ON activities (org_id, due_at) WHERE deleted_at IS NULL AND completed_at IS NULL",
    ].joined(separator: ";\n"))
}
