import BackfillCore
import BackfillPostgres
import Foundation

/// A sync config checked as a whole before any work: every problem (a token
/// not set, a mapping that does not load, a missing folder) is named at
/// once, so a cron job fails in a second, not after minutes of pulls.
struct SyncPlan {
    let configPath: String
    let config: SyncConfig
    let connections: [SyncConnection]

    init(configPath: String, only names: [String]?, connectors: [ConnectorFactory]) throws(CommandError) {
        self.configPath = configPath
        do { config = try SyncConfig.load(path: configPath, factories: connectors) } catch {
            guard error.isMissing else { throw CommandError.usage(error.description) }
            throw CommandError.usage(
                "\(configPath): the config file is missing. Name one with --config PATH, or start from "
                    + "the example: cp config.example.json \(configPath)")
        }
        for warning in config.warnings { Diagnostics.warning(warning) }
        var selected = config.connections
        if let names {
            let all = config.connections.map(\.entry.name)
            for name in names where !all.contains(name) {
                let hint = CommandLineParser.closest(name, in: all).map { " Did you mean '\($0)'?" } ?? ""
                throw CommandError.usage("\(configPath): no connection named '\(name)'.\(hint)")
            }
            selected = config.connections.filter { names.contains($0.entry.name) }
        }
        connections = selected
        var problems = selected.flatMap { $0.check(environment: ProcessInfo.processInfo.environment) }
        let storeFolder = URL(fileURLWithPath: config.storePath).deletingLastPathComponent().path
        if !PostgresLocation.isPostgresURL(config.storePath) && !FileManager.default.fileExists(atPath: storeFolder) {
            problems.append("\(configPath): store.path: the folder \(storeFolder) does not exist")
        }
        guard let last = problems.popLast() else { return }
        for problem in problems { Diagnostics.error(problem) }
        throw .usage(last)
    }

    /// `sync --check`: what was checked, and that nothing was pulled.
    func reportValid() throws -> ExitCode {
        let out = OutputSink.standardOutput()
        out.write(
            "\(configPath): the config is valid: \(connections.count) connection(s), "
                + connections.map { "\($0.entry.name) (\($0.entry.connector))" }.joined(separator: ", ")
                + "; store \(Secrets.redact(config.storePath)). Nothing was pulled.\n")
        try out.close()
        return .success
    }
}
