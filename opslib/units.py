"""Numbers as people write them: `0.417`, `1,000`, `850 ms`, `5 min`, `1.5 GiB`, `1 line`.

Every sentence, threshold, legend and table that shows a number to a person goes through here,
so a threshold of 1000.0 ms reads `1 s` in the console, the filed page and `opslib history` alike.
"""

import math


def number(x) -> str:
    """Three significant digits, thousands separated (0.417, 1,000, 2.5, 47.1)."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return "0" if x == 0 else str(x)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    text = f"{x:.3g}"
    return text if "e" not in text else f"{x:,.3f}".rstrip("0").rstrip(".")


def plural(n: int, word: str, many: str = "") -> str:
    """`1 line`, `2 lines`: counts as people write them."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


def duration(seconds) -> str:
    """850 ms, 1.5 s, 45 s, 5 min, 5 min 30 s, 1 h 30 min, 2 d 3 h."""
    s = float(seconds)
    if abs(s) < 1:
        return f"{number(s * 1000)} ms"
    if abs(s) < 60:
        return f"{number(s)} s"
    whole = round(s)
    big, big_name, small, small_name = next(u for u in ((86400, "d", 3600, "h"), (3600, "h", 60, "min"), (60, "min", 1, "s")) if abs(whole) >= u[0])
    head, rest = divmod(whole, big)
    rest = round(rest / small)
    if rest * small == big:  # 23.99 h is 1 d more, not "24 h"
        head, rest = head + 1, 0
    return f"{head} {big_name}" + (f" {rest} {small_name}" if rest else "")


def size(n_bytes) -> str:
    """512 B, 1.5 KiB, 3.2 GiB (powers of 1,024, as AWS bills storage)."""
    value, unit = float(n_bytes), "B"
    for larger in ("KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024:
            break
        value, unit = value / 1024, larger
    return f"{int(value) if unit == 'B' else number(value)} {unit}"


def quantity(value, unit: str = "") -> str:
    """A value in a unit as a person reads it: ms and s become durations, bytes sizes, counted
    words agree with the count (`1 line`), anything else keeps its unit after the number."""
    u = unit.strip()
    if u == "ms":
        return duration(float(value) / 1000)
    if u in ("s", "seconds"):
        return duration(value)
    if u in ("B", "bytes"):
        return size(value)
    if not u:
        return number(value)
    if u.startswith("%"):
        return f"{number(value)}{u}"
    if u.isalpha() and u.endswith("s") and float(value) == 1:
        u = u[:-1]
    return f"{number(value)} {u}"
