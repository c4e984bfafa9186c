import BackfillCore

/// Parses `argv` against the command tree: subcommands by name, then
/// `--opt value`, `--opt=value`, flags, `--` and positionals. Errors say what
/// was wrong, suggest the closest option, and point to `--help`.
struct CommandLineParser {
    enum Outcome {
        case run(CommandSpec, ParsedArguments, path: [String])
        case help(String)
    }

    let root: CommandSpec

    func parse(_ argv: [String]) throws(CommandError) -> Outcome {
        var command = root
        var path = [root.name]
        var args = argv[...]
        while let next = args.first, let sub = command.subcommands.first(where: { $0.name == next }) {
            command = sub
            path.append(sub.name)
            args = args.dropFirst()
        }
        if command.name == root.name && args.first == "--version" {
            return .help("backfill-sync \(ToolVersion.current)\n")
        }
        // `backfill-sync help import csv`, `backfill-sync import help csv`
        if command.name == "help" || (args.first == "help" && !command.subcommands.isEmpty) {
            if args.first == "help" { args = args.dropFirst() }
            var target = command.name == "help" ? root : command
            var targetPath = command.name == "help" ? [root.name] : path
            for word in args {
                guard let sub = target.subcommands.first(where: { $0.name == word }) else {
                    let hint =
                        Self.closest(word, in: target.subcommands.map(\.name).filter { $0 != "help" })
                        .map { " Did you mean '\($0)'?" } ?? ""
                    throw .usage(
                        "no help for '\(word)': it is not a command of '\(targetPath.joined(separator: " "))'.\(hint)\n"
                            + "See '\(targetPath.joined(separator: " ")) --help'.")
                }
                target = sub
                targetPath.append(word)
            }
            return .help(target.help(path: targetPath))
        }
        if args.contains("--help") || args.contains("-h") {
            return .help(command.help(path: path))
        }
        if command.run == nil {
            if let word = args.first {
                let names = command.subcommands.map(\.name)
                let hint = Self.closest(word, in: names).map { " Did you mean '\($0)'?" } ?? ""
                throw .usage(
                    "'\(word)' is not a subcommand of '\(path.joined(separator: " "))'.\(hint)\nSee '\(path.joined(separator: " ")) --help'."
                )
            }
            return .help(command.help(path: path))
        }

        var parsed = ParsedArguments()
        var optionsEnded = false
        while let word = args.first {
            args = args.dropFirst()
            if optionsEnded || !word.hasPrefix("-") || word == "-" {
                parsed.positionals.append(word)
                continue
            }
            if word == "--" {
                optionsEnded = true
                continue
            }
            let parts = word.split(separator: "=", maxSplits: 1).map(String.init)
            let name = parts[0]
            guard let spec = command.options.first(where: { $0.name == name }) else {
                let hint = Self.closest(name, in: command.options.map(\.name)).map { " Did you mean '\($0)'?" } ?? ""
                throw .usage("unknown option '\(name)'.\(hint)\nSee '\(path.joined(separator: " ")) --help'.")
            }
            if spec.valueName == nil {
                if parts.count > 1 { throw .usage("\(name) takes no value.") }
                parsed.flags.insert(name)
                continue
            }
            var value: String
            if parts.count > 1 {
                value = parts[1]
            } else if let v = args.first {
                value = v
                args = args.dropFirst()
            } else {
                throw .usage("\(name) needs a value <\(spec.valueName!)>.\nSee '\(path.joined(separator: " ")) --help'.")
            }
            if let allowed = spec.allowed { value = try Self.choose(value, from: allowed, for: name) }
            if parsed.values[name] != nil && !spec.repeatable {
                throw .usage("\(name) was given more than once.")
            }
            parsed.values[name, default: []].append(value)
        }
        for o in command.options where parsed.values[o.name] == nil {
            if let d = o.defaultValue { parsed.values[o.name] = [d] }
        }
        let required = command.arguments.filter(\.required)
        if parsed.positionals.count < required.count {
            throw .usage("missing <\(required[parsed.positionals.count].name)>.\nSee '\(path.joined(separator: " ")) --help'.")
        }
        if !(command.arguments.last?.variadic ?? false) && parsed.positionals.count > command.arguments.count {
            throw .usage(
                "unexpected argument '\(parsed.positionals[command.arguments.count])'.\nSee '\(path.joined(separator: " ")) --help'.")
        }
        return .run(command, parsed, path: path)
    }

    /// `value` among `choices`, ignoring case (`Expense`, `JSON`); else a
    /// usage error that lists them and suggests the closest (`expenses` →
    /// `expense`).
    static func choose(_ value: String, from choices: [String], for what: String) throws(CommandError) -> String {
        if choices.contains(value) { return value }
        if let match = choices.first(where: { $0.lowercased() == value.lowercased() }) { return match }
        let hint = closest(value.lowercased(), in: choices).map { " Did you mean '\($0)'?" } ?? ""
        throw .usage("\(what): '\(Excerpt(value))' is not one of the choices.\(hint)\nChoices: \(choices.joined(separator: ", ")).")
    }

    /// The candidate within edit distance 2 (or sharing a prefix), if any.
    static func closest(_ word: String, in candidates: [String]) -> String? {
        let scored = candidates.map { ($0, distance(word, $0)) }.sorted { $0.1 < $1.1 }
        guard let best = scored.first else { return nil }
        if best.1 <= 2 || best.0.hasPrefix(word) || word.hasPrefix(best.0) { return best.0 }
        return nil
    }

    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
