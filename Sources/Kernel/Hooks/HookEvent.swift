import Foundation

/// What a hook handler sees (LUA.md, Events): the event's name, the record in API shape, the
/// record before the change, which fields the request changed, who acted, for which tenant.
/// `before` handlers may change `record` and `reject` it; `after` handlers only read.
public struct HookEvent: Sendable {
    public enum Phase: String, Sendable { case before, after }

    /// `<entity>.<beforeCreate|afterUpdate|…>` or a plugin event such as `deals.stageChanged`.
    public let name: String
    public let entity: String
    public let phase: Phase
    public var record: Record
    public let previous: Record?
    /// Field names the request changed (`custom.<key>` for custom fields).
    public let changed: Set<String>
    public let actor: Principal
    public var organizationID: UUID { actor.organizationID }
    /// How deep in a chain of workflow writes this event is (a write through the API is 0).
    public let depth: Int
    public private(set) var rejections: [FieldError] = []

    public init(
        name: String, entity: String, phase: Phase, record: Record, previous: Record?, changed: Set<String>,
        actor: Principal, depth: Int = 0
    ) {
        self.name = name
        self.entity = entity
        self.phase = phase
        self.record = record
        self.previous = previous
        self.changed = changed
        self.actor = actor
        self.depth = depth
    }

    /// Fails the write with 422 `validation_failed`; several calls collect.
    public mutating func reject(_ field: String, _ message: String) {
        rejections.append(FieldError(field: field, code: "rejected", message: message))
    }

    /// The same event under another name (`beforeCreate` → `beforeSave`), keeping changes.
    public func renamed(_ name: String) -> HookEvent {
        var copy = HookEvent(
            name: name, entity: entity, phase: phase, record: record, previous: previous, changed: changed,
            actor: actor, depth: depth)
        copy.rejections = rejections
        return copy
    }
}
