import Kernel
import OpenAPIKit

/// The OpenAPI side of the deals plugin's own routes — pipelines, the board, moves and stage
/// history — and the schemas they refer to. (The `/deals` record routes and the `Deal` schema
/// are documented from `DealSchema` by the kernel.)
enum DealsDocs {
    static let pluginID = "deals"

    static func register(_ documentation: APIDocumentation) {
        for (name, schema) in schemas { documentation.schema(name, schema, pluginID: pluginID) }
    }

    // MARK: Schemas

    static let stageKind = JSONSchema.string(
        description: "`won` and `lost` stages close their deals (the deal's `status` follows the stage's kind).",
        allowedValues: ["open", "won", "lost"])

    /// `Pipelines.Stage`, as `JSONEncoder` writes it (every property always present).
    static let stage = JSONSchema.object(
        title: "Stage", description: "A stage of a pipeline.",
        properties: [
            "id": APISchema.uuid,
            "name": .string,
            "position": .integer(description: "0-based place in the pipeline (the order of `stages`).", minimum: (0, exclusive: false)),
            "probability": .integer(
                description: "Win probability in percent.", maximum: (100, exclusive: false), minimum: (0, exclusive: false)),
            "kind": stageKind,
        ])

    /// `Pipelines.Pipeline`.
    static let pipeline = JSONSchema.object(
        title: "Pipeline", description: "A pipeline with its stages in position order.",
        properties: [
            "id": APISchema.uuid,
            "name": .string,
            "stages": .array(items: APISchema.ref("Stage")),
        ])

    /// One stage of a `PipelineInput`/`PipelinePatch` (`PipelineRoutes.parse`).
    static let stageInput = JSONSchema.object(
        title: "StageInput",
        description: "A stage to create or keep; its position is its place in `stages`. Unknown fields → 422.",
        properties: [
            "id": .string(
                format: .uuid, required: false,
                description: "On `PATCH`, the id of a stage of this pipeline keeps (and updates) that stage; otherwise the new stage's id. Omitted: a new stage."),
            "name": .string(description: "1-100 characters (trimmed).", minLength: 1, maxLength: 100),
            "probability": .integer(
                required: false, description: "Win probability in percent (default 0).", maximum: (100, exclusive: false),
                minimum: (0, exclusive: false), defaultValue: 0),
            "kind": .string(required: false, description: "Default `open`.", allowedValues: ["open", "won", "lost"], defaultValue: "open"),
            "position": .integer(required: false, description: "Ignored: positions follow the order of `stages`."),
        ],
        additionalProperties: .a(false))

    static let pipelineInput = JSONSchema.object(
        title: "PipelineInput", description: "A new pipeline. Unknown fields → 422.",
        properties: [
            "name": .string(description: "1-200 characters (trimmed).", minLength: 1, maxLength: 200),
            "stages": .array(description: "The stages in order.", minItems: 1, maxItems: 50, items: APISchema.ref("StageInput")),
        ],
        additionalProperties: .a(false))

    static let pipelinePatch = JSONSchema.object(
        title: "PipelinePatch",
        description: "A new name and/or a new stage list. Unknown fields → 422.",
        properties: [
            "name": .string(required: false, description: "1-200 characters (trimmed).", minLength: 1, maxLength: 200),
            "stages": .array(
                required: false,
                description: "Replaces the stage list: stages given with the `id` of one of this pipeline's stages are kept and updated, stages without are added, and stages left out are removed — unless live deals are in them (409).",
                minItems: 1, maxItems: 50, items: APISchema.ref("StageInput")),
        ],
        additionalProperties: .a(false))

    /// One column of `BoardRoute.board`.
    static let boardStage = JSONSchema.object(
        title: "BoardStage", description: "A stage of the board with its live deals.",
        properties: [
            "stage": APISchema.ref("Stage"),
            "count": .integer(description: "The number of live deals in the stage.", minimum: (0, exclusive: false)),
            "amount": .number(description: "The sum of the stage's deal amounts (0 when empty)."),
            "deals": .array(description: "The stage's newest 20 deals, newest first.", maxItems: 20, items: APISchema.ref("Deal")),
        ])

    static let board = JSONSchema.object(
        title: "Board", description: "Every stage of a pipeline in position order, empty ones included.",
        properties: ["stages": .array(items: APISchema.ref("BoardStage"))])

    /// A row of `GET /deals/{id}/stage-history` (`json_build_object` in `DealMoveRoute`).
    static let stageChange = JSONSchema.object(
        title: "StageChange", description: "A stay of a deal in a stage.",
        properties: [
            "stageId": APISchema.uuid,
            "enteredAt": APISchema.dateTime,
            "leftAt": APISchema.nullable(APISchema.dateTime).with(description: "Null while the deal is still in the stage."),
            "seconds": .integer(description: "Time spent in the stage so far, in whole seconds."),
        ])

    static let moveRequest = JSONSchema.object(
        title: "MoveRequest", description: "Unknown fields → 422.",
        properties: [
            "stageId": .string(
                format: .uuid,
                description: "The target stage; it may belong to another pipeline (the deal's `pipelineId` follows it)."),
        ],
        additionalProperties: .a(false))

    static let schemas: [(String, JSONSchema)] = [
        ("Stage", stage), ("Pipeline", pipeline), ("StageInput", stageInput), ("PipelineInput", pipelineInput),
        ("PipelinePatch", pipelinePatch), ("BoardStage", boardStage), ("Board", board), ("StageChange", stageChange),
        ("MoveRequest", moveRequest),
    ]

    // MARK: Operations

    static let listPipelines = APIOperation(
        "listPipelines", "List pipelines", description: "Every pipeline in position order, each with its stages.",
        response: APISchema.list(of: APISchema.ref("Pipeline")))

    static let createPipeline = APIOperation(
        "createPipeline", "Create a pipeline", body: APISchema.ref("PipelineInput"), status: 201,
        response: APISchema.ref("Pipeline"), responseHeaders: ["Location"],
        example: [
            "name": "Renewals",
            "stages": [
                ["name": "Due", "probability": 50],
                ["name": "Quoted", "probability": 75],
                ["name": "Renewed", "probability": 100, "kind": "won"],
                ["name": "Churned", "probability": 0, "kind": "lost"],
            ],
        ])

    static let getPipeline = APIOperation("getPipeline", "Get a pipeline", response: APISchema.ref("Pipeline"))

    static let updatePipeline = APIOperation(
        "updatePipeline", "Rename a pipeline or change its stages",
        description: "Changing a stage's `kind` updates the `status` of its deals. Removing a stage that live deals are in → 409.",
        body: APISchema.ref("PipelinePatch"), response: APISchema.ref("Pipeline"), errors: [409])

    static let deletePipeline = APIOperation(
        "deletePipeline", "Delete a pipeline", description: "Only a pipeline without live deals (else 409).", status: 204,
        errors: [409])

    static let getPipelineBoard = APIOperation(
        "getPipelineBoard", "A pipeline's board",
        description: "Every stage in position order (empty ones with `count: 0, amount: 0`), with its deal count, the sum of its deal amounts and its newest 20 deals.",
        response: APISchema.ref("Board"))

    static let moveDeal = APIOperation(
        "moveDeal", "Move a deal to a stage",
        description: "Sets the deal's stage (and its pipeline, from the stage); the deal's `status` follows the stage's kind, and `deals.stageChanged` fires with `previous`. A stage that is not this organization's → 422.",
        body: APISchema.ref("MoveRequest"), response: APISchema.ref("Deal"), responseHeaders: ["ETag"],
        parameters: [APIParameters.ifMatch], errors: [412])

    static let getDealStageHistory = APIOperation(
        "getDealStageHistory", "A deal's stage history",
        description: "The deal's stays in stages, oldest first, with the time spent in each.",
        response: APISchema.list(of: APISchema.ref("StageChange")))
}
