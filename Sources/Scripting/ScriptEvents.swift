import Foundation
import Kernel

/// The `event` table a handler receives (LUA.md, Events), as JSON.
enum ScriptEvents {
    static func json(_ event: HookEvent) -> JSONValue {
        var changed: [String: JSONValue] = [:]
        for name in event.changed { changed[name] = .bool(true) }
        return [
            "name": .string(event.name), "entity": .string(event.entity), "record": .object(event.record),
            "previous": event.previous.map { .object($0) } ?? .null, "changed": .object(changed),
            "actor": actor(event.actor), "organizationId": .string(event.organizationID.text),
        ]
    }

    static func actor(_ principal: Principal) -> JSONValue {
        switch principal.kind {
        case .user(let id): return ["id": .string(id.text), "role": .string(principal.role.rawValue), "type": "user"]
        case .apiKey(let id): return ["id": .string(id.text), "role": .string(principal.role.rawValue), "type": "apiKey"]
        case .script(let name): return ["id": .string(name), "role": .string(principal.role.rawValue), "type": "script"]
        }
    }

    /// The principal a script's workflow writes as: the script itself, with member rights.
    static func scriptPrincipal(_ name: String, organizationID: UUID) -> Principal {
        Principal(kind: .script(name), organizationID: organizationID, role: .member)
    }
}
