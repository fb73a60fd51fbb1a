import Activities
import Contacts
import CustomFields
import Deals
import Kernel

/// The native plugins this product ships with.
enum BundledPlugins {
    static let all: [any CRMPlugin] = [ContactsPlugin(), DealsPlugin(), ActivitiesPlugin(), CustomFieldsPlugin()]
}
