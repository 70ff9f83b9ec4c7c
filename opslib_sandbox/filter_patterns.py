"""CloudWatch Logs filter patterns, as AWS documents them ("Filter pattern syntax for metric
filters, subscription filters, filter log events, and Live Tail"), for the sandbox's
`filter-log-events`. moto matches only plain terms and lets every other pattern match everything.

- unstructured: `ERROR`, `ERROR ARGUMENTS` (all), `?ERROR ?WARN` (any), `ERROR -ARGUMENTS`
  (exclusion), `"INTERNAL SERVER ERROR"` (exact phrase), `""` / `" "` (everything); case-sensitive
- regex: `%AUTHORIZ(ED)?%` ... `%...%` anywhere in the message
- JSON: `{ $.level = "ERROR" }`, `!=`, `<`, `<=`, `>`, `>=` on numbers, `*` wildcards in values,
  `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`, `&&`, `||` and parentheses, selectors with
  `.key`, `[index]` and `['key.with.dots']`
- space-delimited: `[ip, user, ..., status=4*, size > 1000]`: fields split on spaces, with `"..."` and
  `[...]` one field each; `...` stands for any number of fields; conditions as in JSON patterns,
  joined by `&&` / `||` within a field
"""

import fnmatch
import json
import re
from typing import Callable

MISSING = object()


class PatternError(ValueError):
    """AWS answers InvalidParameterException for a pattern it cannot parse."""


def compile_pattern(pattern: str | None) -> Callable[[str], bool]:
    text = (pattern or "").strip()
    if text in ("", '""', '" "'):
        return lambda message: True
    if text.startswith("{"):
        if not text.endswith("}"):
            raise PatternError(f"JSON pattern not closed: {text}")
        expr = _Json(text[1:-1]).parse()
        return lambda message: _json_match(expr, message)
    if text.startswith("["):
        if not text.endswith("]"):
            raise PatternError(f"space-delimited pattern not closed: {text}")
        fields = _delimited_fields(text[1:-1])
        return lambda message: _delimited_match(fields, _split_message(message))
    if len(text) > 1 and text.startswith("%") and text.endswith("%"):
        rx = re.compile(text[1:-1])
        return lambda message: rx.search(message) is not None
    return _terms(text)


# -- unstructured ------------------------------------------------------------------------
_TERM = re.compile(r'([?-]?)(?:"((?:[^"\\]|\\.)*)"|(\S+))')


def _terms(text: str) -> Callable[[str], bool]:
    required, optional, excluded = [], [], []
    for prefix, quoted, bare in _TERM.findall(text):
        term = quoted if quoted or bare == "" else bare
        {"": required, "?": optional, "-": excluded}[prefix].append(term)

    def match(message: str) -> bool:
        return (all(t in message for t in required) and (not optional or any(t in message for t in optional))
                and not any(t in message for t in excluded))
    return match


# -- conditions shared by JSON and space-delimited patterns --------------------------------
def _compare(found, op: str, value) -> bool:
    """One condition on a value found in the event (MISSING when the field is absent)."""
    if found is MISSING:
        return False
    if isinstance(value, _Regex):
        hit = isinstance(found, str) and value.rx.search(found) is not None
        return hit if op == "=" else (not hit if op == "!=" else False)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = _number(found)
        if number is None:
            return op == "!="
        return {"=": number == value, "!=": number != value, "<": number < value, "<=": number <= value,
                ">": number > value, ">=": number >= value}[op]
    if op not in ("=", "!="):
        raise PatternError(f"{op} compares numbers, not {value!r}")
    if not isinstance(found, (str, int, float)) or isinstance(found, bool):
        return op == "!="
    hit = fnmatch.fnmatchcase(str(found), value) if "*" in value else str(found) == value
    return hit if op == "=" else not hit


def _number(found):
    if isinstance(found, bool):
        return None
    if isinstance(found, (int, float)):
        return found
    try:
        return float(found)
    except (TypeError, ValueError):
        return None


class _Regex:
    def __init__(self, source: str):
        self.rx = re.compile(source)


_TOKEN = re.compile(r"""\s*(?:
    (?P<op>&&|\|\||!=|<=|>=|=|<|>|\(|\))
  | (?P<str>"(?:[^"\\]|\\.)*")
  | (?P<regex>%[^%]*%)
  | (?P<word>[^\s()=!<>&|"]+)
)""", re.VERBOSE)


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise PatternError(f"cannot read the pattern at {text[pos:pos + 20]!r}")
        kind = m.lastgroup
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _literal(kind: str, text: str):
    if kind == "str":
        return json.loads(text)
    if kind == "regex":
        return _Regex(text[1:-1])
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


class _Parser:
    """`a || b && (c)`: && binds tighter than ||; each leaf is a condition on one selector."""

    def __init__(self, text: str):
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None)

    def take(self, expected: str | None = None):
        kind, text = self.peek()
        if kind is None or (expected is not None and text != expected):
            raise PatternError(f"expected {expected or 'more'} in the pattern")
        self.i += 1
        return kind, text

    def parse(self):
        expr = self.either()
        if self.i != len(self.tokens):
            raise PatternError(f"unexpected {self.peek()[1]!r} in the pattern")
        return expr

    def either(self):
        left = self.both()
        while self.peek()[1] == "||":
            self.take()
            left = ("or", left, self.both())
        return left

    def both(self):
        left = self.leaf()
        while self.peek()[1] == "&&":
            self.take()
            left = ("and", left, self.leaf())
        return left

    def leaf(self):
        if self.peek()[1] == "(":
            self.take("(")
            inner = self.either()
            self.take(")")
            return inner
        kind, selector = self.take()
        if kind != "word":
            raise PatternError(f"expected a field, found {selector!r}")
        nxt = self.peek()[1]
        if nxt and nxt.upper() == "IS":
            self.take()
            what = self.take()[1].upper()
            if what not in ("NULL", "TRUE", "FALSE"):
                raise PatternError(f"IS {what}: use IS NULL, IS TRUE or IS FALSE")
            return ("is", selector, what)
        if nxt and nxt.upper() == "NOT":
            self.take()
            if self.take()[1].upper() != "EXISTS":
                raise PatternError("NOT must be followed by EXISTS")
            return ("missing", selector)
        kind, op = self.take()
        if op not in ("=", "!=", "<", "<=", ">", ">="):
            raise PatternError(f"expected a comparison after {selector}, found {op!r}")
        kind, value = self.take()
        return ("cmp", selector, op, _literal(kind, value))


def _evaluate(expr, lookup) -> bool:
    head = expr[0]
    if head == "or":
        return _evaluate(expr[1], lookup) or _evaluate(expr[2], lookup)
    if head == "and":
        return _evaluate(expr[1], lookup) and _evaluate(expr[2], lookup)
    if head == "missing":
        return lookup(expr[1]) is MISSING
    if head == "is":
        found = lookup(expr[1])
        return {"NULL": found is None, "TRUE": found is True, "FALSE": found is False}[expr[2]]
    return _compare(lookup(expr[1]), expr[2], expr[3])


# -- JSON ----------------------------------------------------------------------------------
class _Json(_Parser):
    def leaf(self):
        expr = super().leaf()
        if expr[0] in ("or", "and"):
            return expr
        if not expr[1].startswith("$"):
            raise PatternError(f"a JSON selector starts with $, not {expr[1]!r}")
        return expr


_STEP = re.compile(r"\.([^.\[\]]+)|\.?\['([^']*)'\]|\.?\[(\d+)\]")  # .key, ['key.with.dots'], [0]


def _select(document, selector: str):
    if selector == "$":
        return document
    found, pos = document, 1
    while pos < len(selector):
        m = _STEP.match(selector, pos)
        if not m:
            raise PatternError(f"cannot read the selector {selector!r}")
        key, quoted, index = m.groups()
        if index is not None:
            if not isinstance(found, list) or int(index) >= len(found):
                return MISSING
            found = found[int(index)]
        else:
            name = key if key is not None else quoted
            if not isinstance(found, dict) or name not in found:
                return MISSING
            found = found[name]
        pos = m.end()
    return found


def _json_match(expr, message: str) -> bool:
    try:
        document = json.loads(message)
    except ValueError:
        return False
    if not isinstance(document, (dict, list)):
        return False
    return _evaluate(expr, lambda selector: _select(document, selector))


# -- space-delimited ---------------------------------------------------------------------------
_FIELD = re.compile(r'"[^"]*"|\[[^\]]*\]|\S+')


def _split_message(message: str) -> list[str]:
    return [f[1:-1] if f[:1] + f[-1:] in ('""', "[]") else f for f in _FIELD.findall(message)]


def _delimited_fields(body: str) -> list:
    """Each field: "..." (any number of fields), or (name, condition or None)."""
    fields = []
    for raw in _split_top_commas(body):
        raw = raw.strip()
        if raw == "...":
            fields.append("...")
            continue
        name = re.match(r"[^\s=!<>&|]+", raw)
        if not name:
            raise PatternError(f"cannot read the field {raw!r}")
        condition = _Parser(raw).parse() if raw != name.group(0) else None
        fields.append((name.group(0), condition))
    return fields


def _split_top_commas(body: str) -> list[str]:
    parts, depth, quoted, current = [], 0, False, ""
    for ch in body:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([":
            depth += 1
        elif not quoted and ch in ")]":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return parts


def _delimited_match(fields: list, values: list[str]) -> bool:
    if not fields:
        return not values
    head, rest = fields[0], fields[1:]
    if head == "...":
        return any(_delimited_match(rest, values[i:]) for i in range(len(values) + 1))
    if not values:
        return False
    name, condition = head
    if condition is not None and not _evaluate(condition, lambda selector: values[0] if selector == name else MISSING):
        return False
    return _delimited_match(rest, values[1:])
