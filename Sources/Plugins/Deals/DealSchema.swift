import Kernel

/// A deal: a named amount moving through a pipeline's stages; `status` follows the stage.
enum DealSchema {
    static let schema = EntitySchema(
        name: "deals", table: "deals", pluginID: "deals",
        fields: [
            FieldSpec("name", column: "name", TextFieldType(), required: true, maxLength: 200, searchable: true),
            FieldSpec("amount", column: "amount", MoneyFieldType()),
            FieldSpec("currency", column: "currency", CurrencyCodeFieldType()),
            FieldSpec("pipelineId", column: "pipeline_id", ReferenceFieldType("pipelines")),
            FieldSpec("stageId", column: "stage_id", ReferenceFieldType("stages")),
            FieldSpec("status", column: "status", SelectFieldType(), options: ["open", "won", "lost"], readOnly: true),
            FieldSpec("companyId", column: "company_id", ReferenceFieldType("companies")),
            FieldSpec("contactIds", column: "contact_ids", ReferenceListFieldType("contacts"), maxLength: 100),
            FieldSpec("ownerId", column: "owner_id", ReferenceFieldType("members")),
            FieldSpec("closeDate", column: "close_date", DateFieldType()),
        ],
        titleSQL: "t.name")
}
