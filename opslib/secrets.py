"""Secrets: values that display masked, and a scrubber every sink passes its text through.

Every secret value this process has seen (a `Secret`, or a value the runner hands a kernel) is
registered here, so the journal, the ledger, the console and the filed notebook and HTML can
scrub it without being told which values to look for. A value is scrubbed in every form a sink
may write it in: raw, JSON-escaped, HTML-escaped, percent-encoded, Python's repr of it and of its
bytes, and line by line when it spans lines.
"""

import html
import json
import os
import threading
from urllib.parse import quote

MASK = "********"
MIN_LENGTH = 8  # shorter values would mask ordinary words; refused as bad input instead

_known: set[str] = set()
_forms: list[str] = []  # every form of every known value, longest first
_lock = threading.Lock()


class Secret:
    """A value shown as ******** in reprs, HTML, logs and the ledger; `reveal()` gives it."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str = ""):
        self._value = value
        self.source = source
        register(value)

    @classmethod
    def parse(cls, spec) -> "Secret":
        """`env:NAME` reads the environment variable NAME; anything else is the value itself."""
        if isinstance(spec, Secret):
            return spec
        spec = "" if spec is None else str(spec)
        if spec.startswith("env:"):
            name = spec[4:]
            return cls(os.environ.get(name, ""), source=spec)
        return cls(spec, source="literal")

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return f"Secret({MASK if self._value else ''!r})"

    def __str__(self) -> str:
        return MASK if self._value else ""

    def _repr_html_(self) -> str:
        return f"<code>{self}</code>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def refuse_short(name: str, value: str) -> None:
    """A secret under MIN_LENGTH characters is bad input: it could not be masked without masking ordinary text."""
    if 0 < len(value) < MIN_LENGTH:
        from .errors import BadInput

        raise BadInput(f"secret {name} is {len(value)} characters long: a value under {MIN_LENGTH} characters cannot be told from ordinary text, so it could not be masked",
                       f"use the full credential ({MIN_LENGTH} characters or more)")


def register(value) -> None:
    """Remember a secret value so every sink of this process scrubs it; a URL's secret parts too."""
    if not value or not isinstance(value, str):
        return
    with _lock:
        if value in _known:
            return
        _known.add(value)
        forms = set(_forms)
        for part in [value, *url_parts(value)]:
            forms.update(forms_of(part))
        _forms[:] = sorted(forms, key=len, reverse=True)


def url_parts(value: str) -> list[str]:
    """The parts of a secret URL that are secrets of their own: a receiver that echoes its path (a 404 page, a
    proxy's error) writes a Slack webhook's T.../B.../token without the rest. Path segments, query values and the
    password, each long enough and not a plain word (a digit in it, or 16 characters or more): /services/ is not masked."""
    from urllib.parse import parse_qsl, unquote, urlsplit

    if not value.startswith(("http://", "https://")):
        return []
    try:
        parts = urlsplit(value)
        candidates = [unquote(p) for p in parts.path.split("/")] + [v for _, v in parse_qsl(parts.query)] + [parts.password or ""]
    except ValueError:
        return []
    return [c for c in candidates if len(c) >= MIN_LENGTH and (any(ch.isdigit() for ch in c) or len(c) >= 16)]


def forms_of(value: str) -> set[str]:
    """The ways a sink may write `value`: raw, JSON-escaped (ASCII or not), HTML-escaped, both,
    percent-encoded, repr'd (str and bytes), and each line of a multi-line value. Forms shorter than MIN_LENGTH are
    left out: they would mask ordinary text."""
    bases = {value} | {line.strip() for line in value.splitlines()}
    out = set()
    for base in bases:
        # Python's repr of the str and of its bytes (a traceback's "Invalid header value b'Bearer ...'"): escapes, not the value
        for form in (base, html.escape(base), html.escape(base, quote=False), quote(base, safe=""), quote(base), repr(base)[1:-1],
                     repr(base.encode("utf-8", "surrogatepass"))[2:-1]):
            out.add(form)
            out.add(json.dumps(form)[1:-1])
            out.add(json.dumps(form, ensure_ascii=False)[1:-1])
            out.add(html.escape(json.dumps(form)[1:-1]))
    return {f for f in out if len(f) >= MIN_LENGTH}


def scrub(text: str) -> tuple[str, int]:
    """`text` with every registered secret value masked, and how many were found."""
    found = 0
    for form in list(_forms):
        n = text.count(form)
        if n:
            found += n
            text = text.replace(form, MASK)
    return text, found


# Keys a notebook, a ledger or a journal record must keep to stay what it is; masking a secret
# that happens to be one of these words would corrupt the file, and no credential is one.
_STRUCTURE = frozenset("""cells metadata nbformat nbformat_minor cell_type source outputs execution_count id attachments
output_type name text data ename evalue traceback tags kernelspec language_info display_name language papermill
opslib seq prev hash mac kind run_id status checks""".split())


def scrub_tree(obj):
    """A JSON-shaped value with every string (keys included, structural keys excepted) scrubbed:
    masking inside strings can never make the document unparsable or change its shape.
    Returns the new value and how many were found."""
    found = 0

    def walk(node):
        nonlocal found
        if isinstance(node, str):
            text, n = scrub(node)
            found += n
            return text
        if isinstance(node, dict):
            return {(k if k in _STRUCTURE else walk(k)): walk(v) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return [walk(v) for v in node]
        if isinstance(node, (int, float)) and not isinstance(node, bool):
            text, n = scrub(str(node))
            if n:
                found += n
                return text
        return node

    return walk(obj), found
