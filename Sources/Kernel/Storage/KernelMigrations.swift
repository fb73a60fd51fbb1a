/// The kernel's own schema (tenancy and auth arrive with their issue).
enum KernelMigrations {
    static let all: [Migration] = []
}
