import KubeCore

/// kubectl habits on the command line: the cluster flags may come before the command
/// (`smitop -n bookstore splits`, `smitop --context prod split set …`), and a mistyped command
/// gets "did you mean". ArgumentParser reads a subcommand's options only after its name, so
/// leading cluster flags are moved behind the command words before parsing.
enum GlobalFlags {
    /// Cluster flags that take a value (ClusterOptions), in every spelling.
    static let withValue: Set<String> = ["--kubeconfig", "--context", "-n", "--namespace"]
    /// Cluster flags without a value.
    static let switches: Set<String> = ["-A", "--all-namespaces", "--trust-exec", "--trust-files"]

    enum Outcome: Equatable {
        /// The arguments to parse.
        case parse([String])
        /// The first word names no command: the message to print (exit 2).
        case unknownCommand(String)
    }

    /// `commands`: the top-level command names (and `help`).
    static func normalize(_ args: [String], commands: [String]) -> Outcome {
        var leading: [String] = []
        var i = 0
        while i < args.count {
            let a = args[i]
            let name = a.split(separator: "=", maxSplits: 1).first.map(String.init) ?? a
            if switches.contains(a) {
                leading.append(a)
                i += 1
            } else if withValue.contains(name) && a.contains("=") && a.hasPrefix("--") {
                leading.append(a)
                i += 1
            } else if withValue.contains(a) {
                // A value flag at the very end is left for the parser to report as missing.
                guard i + 1 < args.count else { return .parse(args) }
                leading += [a, args[i + 1]]
                i += 2
            } else {
                break
            }
        }
        // Only flags (or other flags first, such as --help): nothing to move.
        guard i < args.count, !args[i].hasPrefix("-") else { return .parse(args) }
        let word = args[i]
        guard commands.contains(word) else { return .unknownCommand(unknownCommandMessage(word, commands: commands)) }
        guard !leading.isEmpty else { return .parse(args) }
        // The command words (a nested one such as `split set` included) stay first; the cluster
        // flags go before a `--`, else at the end, where every command reads its options.
        var rest = Array(args[i...])
        let end = rest.firstIndex(of: "--") ?? rest.endIndex
        rest.insert(contentsOf: leading, at: end)
        return .parse(rest)
    }

    /// kubectl's wording: `unknown command "spilts" for "smitop"`, then the nearest names.
    static func unknownCommandMessage(_ word: String, commands: [String]) -> String {
        var text = "unknown command \"\(sanitizedForDisplay(word, limit: 80))\" for \"smitop\""
        let near = suggestions(for: word, among: commands)
        if !near.isEmpty {
            text += "\n\nDid you mean this?\n" + near.map { "\t\($0)\n" }.joined()
        } else {
            text += "\n"
        }
        text += "\nRun 'smitop --help' for the commands."
        return text
    }

    /// Names within two edits of `word` (a swap of neighbours counts as one), or that start
    /// with it, nearest first.
    static func suggestions(for word: String, among commands: [String]) -> [String] {
        let w = Array(word.lowercased().prefix(64))
        let scored = commands.compactMap { c -> (Int, String)? in
            let d = editDistance(w, Array(c))
            if d <= 2 { return (d, c) }
            if w.count >= 2, c.hasPrefix(String(w)) { return (3, c) }
            return nil
        }
        return scored.sorted { $0 < $1 }.map(\.1)
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of
    /// adjacent characters each cost one.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
