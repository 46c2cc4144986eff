#!/usr/bin/env python3
"""smitop.1 from the command definitions: reads `smitop --experimental-dump-help` (the
argument parser's own description of every command, flag and help text) on stdin and writes
a man page (roff, man(7) macros) on stdout, so the page can never disagree with --help."""
import datetime
import json
import sys


def esc(text):
    """roff-safe text: backslashes doubled, leading dots and quotes neutralised."""
    text = (text or "").replace("\\", "\\e").replace("-", "\\-")
    lines = []
    for line in text.split("\n"):
        if line.startswith((".", "'")):
            line = "\\&" + line
        lines.append(line)
    return "\n".join(lines)


def flag_names(arg):
    out = []
    for n in arg.get("names", []):
        out.append(("-" if n["kind"] == "short" else "--") + n["name"])
    return out


def synopsis(path, cmd):
    parts = [f".B {esc(' '.join(path))}"]
    for a in cmd.get("arguments", []):
        if not a.get("shouldDisplay", True) or a.get("names") and a["names"][0]["name"] in ("help", "version"):
            continue
        if a["kind"] == "positional":
            v = f"<{a.get('valueName', 'arg')}>" + ("..." if a.get("isRepeating") else "")
            parts.append(f"[{v}]" if a.get("isOptional") else v)
    if cmd.get("subcommands"):
        parts.append("<subcommand>")
    return " ".join(parts)


def options(cmd):
    out = []
    for a in cmd.get("arguments", []):
        if not a.get("shouldDisplay", True):
            continue
        names = flag_names(a)
        if a["kind"] == "positional":
            head = f"<{a.get('valueName', 'arg')}>"
        elif a["kind"] == "option":
            head = ", ".join(names) + f" <{a.get('valueName', 'value')}>"
        else:
            head = ", ".join(names)
        out.append(".TP")
        out.append(f".B {esc(head)}")
        text = a.get("abstract", "")
        if a.get("defaultValue") not in (None, ""):
            text += f" (default: {a['defaultValue']})"
        out.append(esc(text))
    return out


def section(path, cmd, level):
    out = []
    if level > 0:
        out.append(f".SH {esc(' '.join(path).upper())}")
        out.append(synopsis(path, cmd))
        out.append(".PP")
    if cmd.get("abstract"):
        out.append(esc(cmd["abstract"]))
    if cmd.get("discussion"):
        out.append(".PP")
        out.append(esc(cmd["discussion"]))
    opts = options(cmd)
    if opts:
        out.append(".PP")
        out.append("Options:")
        out += opts
    for sub in cmd.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            out += section(path + [sub["commandName"]], sub, level + 1)
    return out


def main():
    tool = json.load(sys.stdin)["command"]
    date = datetime.date.today().isoformat()
    version = sys.argv[1] if len(sys.argv) > 1 else ""
    out = [
        f'.TH SMITOP 1 "{date}" "smitop {esc(version)}" "User Commands"',
        ".SH NAME",
        f"smitop \\- {esc(tool.get('abstract', ''))}",
        ".SH SYNOPSIS",
        synopsis(["smitop"], tool),
        ".SH DESCRIPTION",
    ]
    out += section(["smitop"], tool, 0)
    out += [
        ".SH FILES",
        ".TP",
        ".I $XDG_CONFIG_HOME/smitop/config.yaml",
        "The configuration file (see smitop config view).",
        ".TP",
        ".I $XDG_CONFIG_HOME/smitop/themes/",
        "Your own themes; they override the built-in ones of the same name.",
        ".SH ENVIRONMENT",
        "KUBECONFIG, SMITOP_CONFIG, XDG_CONFIG_HOME, NO_COLOR.",
        ".SH SEE ALSO",
        "kubectl(1). The user guide, key bindings and configuration reference are in the docs/ folder of the smitop sources.",
    ]
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
