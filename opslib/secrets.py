"""Secrets: values that display masked, and a scan that catches any that leak anyway."""

import os

MASK = "********"


class Secret:
    """A value shown as ******** in reprs, HTML, logs and the ledger; `reveal()` gives it."""

    __slots__ = ("_value", "source")

    def __init__(self, value: str, source: str = ""):
        self._value = value
        self.source = source

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


def redact(text: str, values) -> tuple[str, int]:
    """Replace every occurrence of each secret value; returns the text and how many were found."""
    found = 0
    for value in sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True):
        n = text.count(value)
        if n:
            found += n
            text = text.replace(value, MASK)
    return text, found
