import Activities
import Contacts
import CustomFields
import Deals
import Foundation
import Kernel
import Scripting

/// The native plugins this product ships with, and the Lua runtime.
enum BundledPlugins {
    static func all(environment: [String: String]) throws -> [any CRMPlugin] {
        let limits = try ScriptLimits(environment: environment)
        let lua = try BundledLuaPlugin.load(from: luaPluginsDirectory(environment), limits: limits)
        // One sandbox: scripts and custom-field expressions share its Lua threads and its
        // per-tenant bounds.
        let sandbox = LuaSandbox(limits: limits)
        return [
            ContactsPlugin(), DealsPlugin(), ActivitiesPlugin(), CustomFieldsPlugin(sandbox: sandbox),
            ScriptingPlugin(sandbox: sandbox, bundled: lua),
        ]
    }

    /// `CRM_LUA_PLUGINS`, else `plugins-lua` in the working directory or beside the
    /// executable (walking up from it, so a build inside the checkout finds the checkout's).
    static func luaPluginsDirectory(_ environment: [String: String]) -> URL {
        if let configured = EnvironmentReader(environment).value("CRM_LUA_PLUGINS") { return URL(fileURLWithPath: configured) }
        let local = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("plugins-lua")
        if FileManager.default.fileExists(atPath: local.path) { return local }
        var directory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = directory.appendingPathComponent("plugins-lua")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return local
    }
}
