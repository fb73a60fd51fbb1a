import Foundation
import Kernel

/// The Swift side of the `crm` table (LUA.md) for one run: reads and writes through the record
/// store as the script's tenant, writes only where the phase allows them and at most
/// `maxWrites`, logs bounded. A dry run (`simulate`) reports writes without making them.
final class HostCalls: @unchecked Sendable {
    // @unchecked: one run's state, used by that run's task only, one call at a time.
    let store: RecordStore
    let principal: Principal
    let maxWrites: Int
    let simulate: Bool
    let depth: Int
    private(set) var logs: [String] = []
    private(set) var writes: [JSONValue] = []
    private var logBytes = 0

    static let maxLogLines = 200
    static let maxLogBytes = 64 * 1024

    init(store: RecordStore, principal: Principal, maxWrites: Int, simulate: Bool, depth: Int) {
        self.store = store
        self.principal = principal
        self.maxWrites = maxWrites
        self.simulate = simulate
        self.depth = depth
    }

    struct CallError: Error { let message: String }

    /// Drops the log of a first attempt that is run again (`ScriptEngine.run`); such runs
    /// cannot write, so there is nothing else to undo.
    func forgetLogs() {
        logs.removeAll()
        logBytes = 0
    }

    /// Answers `{"fn", "args"}` with the reply (JSON) or an error message.
    func handle(_ request: String) async -> (String, Bool) {
        guard let json = JSONValue.parse(request), let fn = json["fn"]?.stringValue else {
            if let path = JSONValue.forbiddenTextPath(in: request) {
                // `args.<n>.<field>`: name the field as the script wrote it.
                let field = path.split(separator: ".").dropFirst(2).joined(separator: ".")
                return ("crm: \(field.isEmpty ? "an argument" : field) must not contain NUL (\\0) or invalid UTF-8", true)
            }
            return ("bad host call", true)
        }
        let args = json["args"]?.arrayValue ?? []
        do {
            return (try await call(fn, args).serialized(), false)
        } catch let error as CallError {
            return ("crm.\(fn): \(error.message)", true)
        } catch let error as RecordError {
            return describe(fn, APIError(error))
        } catch let error as APIError {
            return describe(fn, error)
        } catch {
            return ("crm.\(fn): failed", true)
        }
    }

    /// A refusal as the script's error message.
    private func describe(_ fn: String, _ error: APIError) -> (String, Bool) { ("crm.\(fn): \(error.oneLine)", true) }

    private func call(_ fn: String, _ args: [JSONValue]) async throws -> JSONValue {
        switch fn {
        case "get":
            let schema = try entity(args, 0)
            guard let id = args.count > 1 ? args[1].stringValue.flatMap(UUID.init(text:)) : nil else { return .null }
            do {
                return try await store.get(schema, id: id, principal: principal).record.asJSON
            } catch RecordError.notFound {
                return .null
            }
        case "find":
            return try await find(args)
        case "create", "update", "delete":
            return try await write(fn, args)
        case "log":
            log(args)
            return .bool(true)
        case "time.now":
            return .string(DateTimeFieldType.format(Date()))
        case "time.addDays":
            let date = try time(args, 0)
            guard args.count > 1, let days = args[1].doubleValue, abs(days) < 1_000_000 else { throw CallError(message: "days must be a number") }
            return .string(DateTimeFieldType.format(date.addingTimeInterval(days * 86_400)))
        case "time.parse", "time.format":
            return .string(DateTimeFieldType.format(try time(args, 0)))
        default:
            throw CallError(message: "unknown function")
        }
    }

    private func entity(_ args: [JSONValue], _ index: Int) throws -> EntitySchema {
        guard args.count > index, let name = args[index].stringValue else { throw CallError(message: "the first argument is the entity name") }
        guard let schema = store.schemas.schema(name) else { throw CallError(message: "unknown entity '\(name)'") }
        return schema
    }

    private func time(_ args: [JSONValue], _ index: Int) throws -> Date {
        guard args.count > index, let text = args[index].stringValue, let date = DateTimeFieldType.parse(text) else {
            throw CallError(message: "expects an RFC 3339 time such as 2026-11-24T19:08:42Z")
        }
        return date
    }

    private func find(_ args: [JSONValue]) async throws -> JSONValue {
        let schema = try entity(args, 0)
        var items: [(String, String)] = []
        for (key, value) in (args.count > 1 ? args[1].objectValue : nil) ?? [:] {
            if case .object(let operators) = value {
                for (op, operand) in operators { items.append(("filter[\(key)][\(op)]", Self.text(operand))) }
            } else {
                items.append(("filter[\(key)]", Self.text(value)))
            }
        }
        let options = (args.count > 2 ? args[2].objectValue : nil) ?? [:]
        if let limit = options["limit"] { items.append(("limit", Self.text(limit))) }
        if let sort = options["sort"] { items.append(("sort", Self.text(sort))) }
        let query = try RecordQuery.parse(items, schema: schema, custom: try await store.customDefinitions(schema, principal))
        let body = try await store.list(schema, query: query, principal: principal)
        return JSONValue.parse(body)?["data"] ?? .array([])
    }

    private func write(_ fn: String, _ args: [JSONValue]) async throws -> JSONValue {
        guard maxWrites > 0 else { throw CallError(message: "writes are only allowed in after-handlers") }
        guard writes.count < maxWrites else { throw CallError(message: "write limit of \(maxWrites) reached") }
        let schema = try entity(args, 0)
        var id: UUID?
        var fields: [String: JSONValue] = [:]
        if fn == "create" {
            fields = (args.count > 1 ? args[1].objectValue : nil) ?? [:]
        } else {
            guard args.count > 1, let parsed = args[1].stringValue.flatMap(UUID.init(text:)) else {
                throw CallError(message: "the second argument is the record id")
            }
            id = parsed
            if fn == "update" { fields = (args.count > 2 ? args[2].objectValue : nil) ?? [:] }
        }
        writes.append(["op": .string(fn), "entity": .string(schema.name), "id": id.map { .string($0.text) } ?? .null, "fields": .object(fields)])
        if simulate { return fn == "delete" ? .bool(true) : .object(fields.merging(["id": id.map { .string($0.text) } ?? .null]) { old, _ in old }) }
        switch fn {
        case "create":
            guard case .created(let stored) = try await store.create(schema, body: fields, principal: principal, depth: depth) else { return .null }
            return stored.record.asJSON
        case "update":
            return try await store.update(schema, id: id!, body: fields, replace: false, precondition: .none, principal: principal, depth: depth).record.asJSON
        default:
            try await store.delete(schema, id: id!, precondition: .none, principal: principal, depth: depth)
            return .bool(true)
        }
    }

    private func log(_ args: [JSONValue]) {
        guard logs.count < Self.maxLogLines, logBytes < Self.maxLogBytes else { return }
        let line = String(args.map(Self.text).joined(separator: " ").prefix(2000))
        logs.append(line)
        logBytes += line.utf8.count
    }

    static func text(_ value: JSONValue) -> String {
        switch value {
        case .string(let s): return s
        case .array(let items): return items.map(text).joined(separator: ",")
        default: return value.serialized()
        }
    }
}

extension Dictionary where Key == String, Value == JSONValue {
    var asJSON: JSONValue { .object(self) }
}
