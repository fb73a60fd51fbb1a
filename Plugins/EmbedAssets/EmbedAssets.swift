import Foundation
import PackagePlugin

/// Compiles a target's `Assets/` folder into its binary as one generated Swift file of base64
/// string literals (`EmbeddedAssets.files`). SwiftPM's own `embedInCode` writes each file as an
/// array of integer literals, which takes the compiler minutes for a 400 KB library; a string
/// literal of the same bytes takes a moment.
@main
struct EmbedAssets: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else { return [] }
        let folder = target.directoryURL.appending(path: "Assets")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { !$0.lastPathComponent.hasPrefix(".") && !["VENDORED.md"].contains($0.lastPathComponent) && !$0.lastPathComponent.hasPrefix("LICENSE") }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedAssets.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) assets of \(target.name)",
                executable: try context.tool(named: "EmbedAssetsTool").url,
                arguments: [output.path] + files.map(\.path),
                inputFiles: files,
                outputFiles: [output])
        ]
    }
}
