import Foundation
import Kernel

/// A Lua plugin shipped in `plugins-lua/<id>/plugin.lua`: checked when the server starts (a
/// broken one stops start-up), listed under `/plugins` with `kind: "lua"`, enabled per tenant.
public struct BundledLuaPlugin: Sendable {
    public let id: String
    public let source: String
    public let descriptor: ExternalPlugin
    /// The events its `on` table handles (from the same load that checked it).
    let triggers: Set<String>

    /// Every plugin of `directory` (sorted by id); none when the directory does not exist.
    public static func load(from directory: URL, limits: ScriptLimits) throws -> [BundledLuaPlugin] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return try names.sorted().compactMap { id in
            let file = directory.appendingPathComponent(id).appendingPathComponent("plugin.lua")
            guard let source = try? String(contentsOf: file, encoding: .utf8) else { return nil }
            return try BundledLuaPlugin(id: id, source: source, limits: limits)
        }
    }

    init(id: String, source: String, limits: ScriptLimits) throws {
        let description: JSONValue
        do {
            description = try LuaSandbox.describeBundled(name: id, source: source, limits: limits)
        } catch let failure as ScriptFailure {
            throw ScriptFailure(message: "bundled Lua plugin \(id) does not load: \(failure.message)")
        }
        guard description["name"]?.stringValue == id else {
            throw ScriptFailure(message: "bundled Lua plugin \(id): its name must match the folder name")
        }
        var fields: [String: [JSONValue]] = [:]
        for (entity, list) in description["fields"]?.objectValue ?? [:] { fields[entity] = list.arrayValue ?? [] }
        self.id = id
        self.source = source
        self.triggers = Set((description["triggers"]?.arrayValue ?? []).compactMap(\.stringValue))
        self.descriptor = ExternalPlugin(
            id: id, name: id, version: description["version"]?.stringValue ?? "0.0.0",
            description: description["description"]?.stringValue ?? "", kind: "lua",
            dependsOn: (description["dependsOn"]?.arrayValue ?? []).compactMap(\.stringValue),
            fields: fields, configSchema: description["config"]?.objectValue ?? [:])
        if let problem = descriptor.schemaProblem() {
            throw ScriptFailure(message: "bundled Lua plugin \(id): \(problem)")
        }
    }
}
