import ArgumentParser

/// The `crm` executable: the CRM server and its operator commands.
struct CRM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crm",
        abstract: "A headless, plugin-based CRM server.",
        discussion: """
            Configuration comes from the environment (DATABASE_URL, HOST, PORT, CRM_ENV, JWT_SECRET, …). \
            Without DATABASE_URL an embedded PostgreSQL cluster is kept under ./.crm/pg.
            """,
        version: CRMVersion.current,
        subcommands: [ServeCommand.self, MigrateCommand.self, ImportCommand.self, ExportCommand.self, VersionCommand.self],
        defaultSubcommand: nil
    )
}

enum CRMVersion {
    static let current = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the version of crm.")

    func run() {
        print("crm \(CRMVersion.current)")
    }
}
