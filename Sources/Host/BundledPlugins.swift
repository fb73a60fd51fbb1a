import Activities
import Contacts
import CustomFields
import Deals
import Kernel
import Scripting

/// The native plugins this product ships with, and the Lua runtime.
enum BundledPlugins {
    static func all(environment: [String: String]) throws -> [any CRMPlugin] {
        [
            ContactsPlugin(), DealsPlugin(), ActivitiesPlugin(), CustomFieldsPlugin(),
            ScriptingPlugin(limits: try ScriptLimits(environment: environment)),
        ]
    }
}
