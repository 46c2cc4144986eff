"""Formatting of figures for the page: milliseconds, megabytes, medians, tables, verdicts."""

import statistics


def ms(seconds, signed=False):
    v = seconds * 1000.0
    s = f"{v:.1f}" if abs(v) < 100 else f"{v:,.0f}"
    if signed and v >= 0:
        s = "+" + s
    return f"{s} ms"


def mb(kib):
    return f"{kib / 1024:.0f} MB"


def num(v):
    if isinstance(v, bool) or v is None:
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        if v == 0:
            return "0"
        a = abs(v)
        if a >= 100:
            return f"{v:,.0f}"
        if a >= 10:
            return f"{v:.1f}"
        if a >= 0.1:
            return f"{v:.2f}"
        return f"{v:.3g}"
    return str(v)


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def med_range(xs, fmt):
    """'412 ms (398–430)' — the median and the range of all runs."""
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    if len(xs) == 1:
        return fmt(xs[0])
    lo, hi = fmt(min(xs)), fmt(max(xs))
    unit = ""
    for u in (" ms", " MB", " %", " B", "/s", "×"):
        if lo.endswith(u) and hi.endswith(u):
            unit, lo, hi = u, lo[: -len(u)], hi[: -len(u)]
            break
    return f"{fmt(med(xs))} ({lo}–{hi}{unit})"


def ratio(x):
    return f"{x:.2f}×"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(out)


def verdict(ok, text):
    if ok is None:
        return f"– {text}"
    return f"{'✓' if ok else '✗'} {text}"
