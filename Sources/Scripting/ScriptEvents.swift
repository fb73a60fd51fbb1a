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
            "actor": event.actor.actorJSON, "organizationId": .string(event.organizationID.text),
        ]
    }

    /// The principal a script's workflow writes as: the script itself, with member rights.
    static func scriptPrincipal(_ name: String, organizationID: UUID) -> Principal {
        Principal(kind: .script(name), organizationID: organizationID, role: .member)
    }
}
