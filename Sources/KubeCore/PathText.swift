// Path arithmetic on strings, without Foundation's NSString bridge: on Linux,
// `("k" as NSString).deletingLastPathComponent` trapped (`smitop --kubeconfig k`, a file name
// with no directory part, crashed before connecting).

public enum PathText {
    /// The directory part: "a/b/c" → "a/b", "/c" → "/", "c" → ".", "a/b/" → "a".
    public static func directory(of path: String) -> String {
        var p = Substring(path)
        while p.count > 1 && p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return "." }
        let d = p[..<slash]
        return d.isEmpty ? "/" : String(d)
    }

    /// `name` relative to `directory`, or `name` itself when it is absolute.
    public static func join(_ directory: String, _ name: String) -> String {
        if name.hasPrefix("/") || directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
