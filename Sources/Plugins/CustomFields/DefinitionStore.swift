import Foundation
import Kernel
import Logging
import PostgresNIO
import Synchronization

/// A tenant's custom field definitions, cached per tenant (dropped on change in any process).
final class DefinitionStore: Sendable {
    let database: Database
    private let cache = Mutex<[UUID: [CustomFieldDefinition]]>([:])

    init(database: Database) { self.database = database }

    var logger: Logger { database.logger }

    func invalidate(_ organizationID: UUID?) {
        cache.withLock { if let organizationID { $0.removeValue(forKey: organizationID) } else { $0.removeAll() } }
    }

    func all(_ organizationID: UUID) async throws -> [CustomFieldDefinition] {
        if let cached = cache.withLock({ $0[organizationID] }) { return cached }
        let definitions = try await database.withScope(TenantScope(organizationID: organizationID)) { connection in
            try await Self.load(organizationID, on: connection, logger: logger)
        }
        cache.withLock { $0[organizationID] = definitions }
        return definitions
    }

    static func load(_ organizationID: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [CustomFieldDefinition] {
        let rows = try await connection.query(
            """
            SELECT id, entity, key, label, type, required, options::text, default_value::text, validation::text, formula, indexed
            FROM custom_field_definitions WHERE org_id = \(organizationID) ORDER BY entity, created_at, key
            """, logger: logger)
        var result: [CustomFieldDefinition] = []
        for try await (id, entity, key, label, type, required, options, defaultValue, validation, formula, indexed)
            in rows.decode((UUID, String, String, String, String, Bool, String?, String?, String?, String?, Bool).self)
        {
            let parse = { (text: String?) in text.flatMap { JSONValue.parse($0) } }
            let validationValue = parse(validation)
            result.append(CustomFieldDefinition(
                id: id.text, entity: entity, key: key, label: label, type: type, required: required,
                options: parse(options)?.arrayValue?.compactMap(\.stringValue), defaultValue: parse(defaultValue),
                validation: validationValue.flatMap { value -> CustomFieldDefinition.Validation? in
                    guard let expression = value["expression"]?.stringValue else { return nil }
                    return CustomFieldDefinition.Validation(expression: expression, message: value["message"]?.stringValue ?? "is invalid")
                },
                formula: formula, indexed: indexed))
        }
        return result
    }
}
