import Kernel
import OpenAPIKit

/// The OpenAPI side of `/scripts` and `/workflow-jobs`: the schemas of what `ScriptRoutes`,
/// `ScriptStore` and `WorkflowRoutes` write, and the operations.
enum ScriptingDocs {
    static let pluginID = "scripting"

    static func register(_ documentation: APIDocumentation) {
        for (name, schema) in schemas { documentation.schema(name, schema, pluginID: pluginID) }
    }

    // MARK: Schemas

    static let namePattern = "^[a-z][a-z0-9-]{0,62}$"

    static let outcome = JSONSchema.string(
        description: "`ok`; `rejected`: the handler called `event:reject`; `error`: the script failed.",
        allowedValues: ["ok", "rejected", "error"])

    /// `ScriptStore.Script` (`JSONEncoder`, dates ISO 8601; `description` left out when nil).
    static let script = JSONSchema.object(
        title: "Script", description: "A tenant's Lua script.",
        properties: [
            "name": .string(pattern: namePattern),
            "source": .string(description: "The Lua chunk: it returns a table whose `on` maps event names to handlers."),
            "enabled": .boolean,
            "version": .integer(description: "1 when created, +1 per `PUT`.", minimum: (1, exclusive: false)),
            "triggers": .array(description: "The event names the script's `on` table handles, sorted.", items: .string),
            "description": .string(required: false, description: "The `description` of the script's table; absent when it has none."),
            "updatedAt": APISchema.dateTime,
        ])

    static let scriptInput = JSONSchema.object(
        title: "ScriptInput", description: "Unknown fields → 422.",
        properties: [
            "source": .string(description: "The Lua chunk, at most 256 KiB (UTF-8)."),
            "enabled": .boolean(required: false, description: "Default true.", defaultValue: true),
        ],
        additionalProperties: .a(false))

    static let scriptTestRequest = JSONSchema.object(
        title: "ScriptTestRequest", description: "The event to run the script's handler on. Unknown fields → 422.",
        properties: [
            "event": .string(
                description: "An event the script handles (else 422), such as `contacts.beforeSave`.",
                examples: ["contacts.beforeSave"]),
            "record": .object(
                required: false, description: "The event's `record`, in API shape (default `{}`).", additionalProperties: .a(true)),
            "previous": .object(
                required: false, nullable: true, description: "The record before the change, for update events.",
                additionalProperties: .a(true)),
        ],
        additionalProperties: .a(false))

    /// `ScriptRoutes.TestView` (`JSONEncoder`: `record` and `error` left out when nil).
    static let scriptTestResult = JSONSchema.object(
        title: "ScriptTestResult", description: "A dry run: nothing the handler does persists.",
        properties: [
            "outcome": outcome,
            "record": .fragment(
                required: false,
                description: "The event's `record` as the handler left it (an object unless the script replaced it); absent when the script failed."),
            "errors": .array(
                description: "The handler's rejections.",
                items: .object(properties: [
                    "field": .string, "code": .string(description: "`rejected`."), "message": .string,
                ])),
            "logs": .array(description: "The lines of `crm.log`.", items: .string),
            "writes": .array(
                description: "The `crm.*` writes the handler asked for (none is made).",
                items: .object(properties: [
                    "op": .string(allowedValues: ["create", "update", "delete"]),
                    "entity": .string,
                    "id": .string(format: .uuid, nullable: true, description: "Null for `create`."),
                    "fields": .object(additionalProperties: .a(true)),
                ])),
            "instructions": .integer(description: "The Lua instructions the run took.", minimum: (0, exclusive: false)),
            "durationMs": .number(minimum: (0, exclusive: false)),
            "error": .object(
                required: false, description: "The script error when `outcome` is `error`; absent otherwise.",
                properties: [
                    "message": .string(description: "Names the script, the event, the line and the Lua error."),
                    "line": .integer(nullable: true),
                ]),
        ])

    /// A row of `ScriptStore.runs` (`json_build_object`: every key present, null when unset).
    static let scriptRun = JSONSchema.object(
        title: "ScriptRun", description: "A run of one of the script's handlers.",
        properties: [
            "at": APISchema.dateTime,
            "event": .string,
            "recordId": .string(format: .uuid, nullable: true),
            "outcome": outcome,
            "error": .string(nullable: true, description: "The script error when `outcome` is `error`."),
            "durationMs": .number,
            "logs": .array(items: .string),
        ])

    /// `WorkflowRoutes.jobJSON` (`json_build_object`: every key present, null when unset).
    static let workflowJob = JSONSchema.object(
        title: "WorkflowJob", description: "A queued run of an after-handler.",
        properties: [
            "id": APISchema.uuid,
            "script": .string(description: "The script's or the bundled plugin's name."),
            "event": .string,
            "recordId": .string(format: .uuid, nullable: true),
            "status": .string(allowedValues: ["pending", "running", "done", "failed"]),
            "attempts": .integer(minimum: (0, exclusive: false)),
            "lastError": .string(nullable: true),
            "nextAttemptAt": APISchema.dateTime,
            "createdAt": APISchema.dateTime,
            "updatedAt": APISchema.dateTime,
        ])

    static let schemas: [(String, JSONSchema)] = [
        ("Script", script), ("ScriptInput", scriptInput), ("ScriptTestRequest", scriptTestRequest),
        ("ScriptTestResult", scriptTestResult), ("ScriptRun", scriptRun), ("WorkflowJob", workflowJob),
    ]

    // MARK: Operations

    /// `:name`, which the routes check against the name pattern (anything else → 404).
    static let nameParameter = OpenAPI.Parameter.path(
        name: "name", schema: .string(pattern: namePattern), description: "The script's name.")

    static let listScripts = APIOperation(
        "listScripts", "List scripts", response: APISchema.list(of: APISchema.ref("Script")))

    static let getScript = APIOperation(
        "getScript", "Get a script", response: APISchema.ref("Script"), parameters: [nameParameter])

    static let putScript = APIOperation(
        "putScript", "Create or replace a script",
        description: "Answers 201 when the script is new and 200 when it replaces one (`version` + 1), with the script either way. The source is compiled and loaded first: a syntax or shape error → 422 `script_error` and nothing is saved. The name of a bundled plugin → 409.",
        body: APISchema.ref("ScriptInput"), otherStatuses: [201], response: APISchema.ref("Script"), parameters: [nameParameter],
        errors: [409],
        example: [
            "source": """
                return {
                  description = "Require a close date on deals over 10000",
                  on = {
                    ["deals.beforeSave"] = function(event, crm)
                      local deal = event.record
                      if deal.amount ~= nil and deal.amount > 10000 and deal.closeDate == nil then
                        event:reject("closeDate", "is required for deals over 10000")
                      end
                    end,
                  },
                }
                """,
            "enabled": true,
        ])

    static let deleteScript = APIOperation(
        "deleteScript", "Delete a script", status: 204, parameters: [nameParameter])

    static let listScriptRuns = APIOperation(
        "listScriptRuns", "A script's recent runs", description: "Newest first; the last 100 runs of each script are kept.",
        response: APISchema.list(of: APISchema.ref("ScriptRun")), parameters: [nameParameter, APIParameters.limit], errors: [400])

    static let testScript = APIOperation(
        "testScript", "Dry-run a script's handler",
        description: "Runs the saved script's handler for `event` on the given record: reads see the organization's data, writes are reported in `writes` but not made, so nothing persists.",
        body: APISchema.ref("ScriptTestRequest"), response: APISchema.ref("ScriptTestResult"), parameters: [nameParameter],
        example: ["event": "contacts.beforeSave", "record": ["firstName": "Ada", "email": " Ada@Example.com "]])

    static let listWorkflowJobs = APIOperation(
        "listWorkflowJobs", "List workflow jobs", description: "Newest first.",
        response: APISchema.list(of: APISchema.ref("WorkflowJob"), paginated: true),
        parameters: [
            APIParameters.query(
                "status", .string(allowedValues: ["pending", "running", "done", "failed"]), "Only jobs in this state (default: all)."),
            APIParameters.limit,
            APIParameters.query("cursor", .string, "The `nextCursor` of the previous page."),
        ],
        errors: [400])

    static let retryWorkflowJob = APIOperation(
        "retryWorkflowJob", "Retry a failed workflow job",
        description: "A `failed` job goes back to `pending` with `attempts: 0`. A job that is not `failed` (or not this organization's) → 404.",
        status: 202, response: APISchema.ref("WorkflowJob"))
}
