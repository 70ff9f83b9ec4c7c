"""Notebook parameters: the annotated parameters cell is the signature, and everything is
checked against it before a kernel starts.

Precedence: notebook default < parameters/<env>.yaml < `-p name=value`.
"""

import ast
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import BadInput, did_you_mean

TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict, "Secret": "Secret",
         "list[str]": list, "list[int]": list, "list[float]": list}
REQUIRED = object()  # a parameter whose default is `...`
_ENV_REF = re.compile(r"\$\{(\w+)\}")
_RANGE = re.compile(r"\[(-?\d+(?:\.\d+)?)?\.\.(-?\d+(?:\.\d+)?)?\]\s*$")  # `# help [1..1440]` at the end of the comment
_CHOICES = re.compile(r"\{([\w-]+(?:\|[\w-]+)+)\}\s*$")  # `# help {pre|post}` at the end of the comment: a text parameter's only values
ABSURD = 1e12  # no threshold, window or count of ours is this large; a number past it is a typo
MAX_TEXT = 16 * 1024  # characters in one value
MAX_ITEMS = 1000  # elements in one list or dict
SOURCES_VARIABLE = "OPSLIB_PARAMETER_SOURCES"  # where each injected value came from, for the kernel to show and journal


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    help: str
    low: float | None = None  # declared range, `[low..high]` at the end of the help comment
    high: float | None = None
    choices: tuple = ()  # the only values a text parameter takes, `{a|b}` at the end of the help comment

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def secret(self) -> bool:
        return self.type == "Secret"


@dataclass
class Resolved:
    """Parameter values in effect, and where each came from: `default`, `parameters/<env>.yaml`,
    `-p`, `--env`, `--incident`, or (by hand in JupyterLab) `the parameters cell`."""

    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)

    def from_file(self, name: str) -> bool:
        return self.sources.get(name, "").startswith("parameters/")

    def masked(self, specs: dict[str, Param]) -> dict[str, Any]:
        """The values safe to write down: secrets show only where they come from."""
        out = {}
        for name, value in self.values.items():
            if name in specs and specs[name].secret:
                out[name] = _secret_label(value)
            else:
                out[name] = value
        return out


def _secret_label(value) -> str:
    text = "" if value is None else str(value)
    return text if text.startswith("env:") or not text else "********"


def read_notebook(path: Path) -> dict:
    """A notebook's JSON; anything that is not a notebook is bad input, not a traceback."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
        raise BadInput(f"{Path(path).name} is not a readable notebook ({type(exc).__name__})", "restore the file from git or pass another notebook") from None
    cells = nb.get("cells") if isinstance(nb, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise BadInput(f"{Path(path).name} has no list of cells", "restore the file from git or pass another notebook")
    return nb


def cell_source(cell: dict) -> str:
    """A cell's text, whether the file holds it as one string or as a list of lines."""
    source = cell.get("source", "")
    return source if isinstance(source, str) else "".join(map(str, source))


def parameters_cell(nb: dict) -> str:
    for cell in nb["cells"]:
        if cell.get("cell_type") == "code" and "parameters" in (cell.get("metadata") or {}).get("tags", []):
            return cell_source(cell)
    return ""


def parse_spec(source: str, where: str = "the parameters cell") -> dict[str, Param]:
    """Read `name: type = value  # help [low..high]` lines; each must be a literal of the annotated type."""
    specs: dict[str, Param] = {}
    lines = source.splitlines()
    try:
        body = ast.parse(source).body
    except SyntaxError as exc:
        raise BadInput(f"{where} is not valid Python (line {exc.lineno}: {exc.msg})", "fix the parameters cell") from None
    for node in body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        name = node.target.id
        type_name = ast.unparse(node.annotation)
        if type_name not in TYPES:
            raise BadInput(f"parameter {name} has type {type_name}", f"use one of {', '.join(TYPES)}")
        if node.value is None:
            raise BadInput(f"parameter {name} in {where} has no value", f"write {name}: {type_name} = <default> (or ... when required)")
        if isinstance(node.value, ast.Constant) and node.value.value is Ellipsis:
            default = REQUIRED
        else:
            try:
                default = ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                raise BadInput(f"parameter {name} in {where} is not a literal ({ast.unparse(node.value)[:40]})",
                               "write a plain value (number, text, list...); compute things after runbook.start") from None
        comment = lines[node.lineno - 1].partition("#")[2].strip() if "#" in lines[node.lineno - 1] else ""
        low = high = None
        m = _RANGE.search(comment)
        if m:
            low, high = (float(g) if g is not None else None for g in m.groups())
            comment = comment[: m.start()].rstrip()
        choices = _CHOICES.search(comment)
        if choices:
            comment = comment[: choices.start()].rstrip()
        specs[name] = Param(name, type_name, default, comment, low, high, tuple(choices[1].split("|")) if choices else ())
    return specs


def coerce(param: Param, value: Any, origin: str) -> Any:
    """Convert a value (a string from the command line, or YAML data) to the parameter's type."""
    if param.secret:
        if value is None or isinstance(value, str):
            return value
        raise BadInput(f"{param.name} from {origin} is not text", "give a string, or env:VARIABLE")
    kind = TYPES[param.type]
    if param.name == "confirm" and isinstance(value, str) and value.strip().startswith("PLAN-"):
        from .actions import PLAN_ID

        if PLAN_ID.fullmatch(value.strip()):
            return value.strip()  # a reviewed plan's id: apply exactly that plan (opslib.actions)
    if isinstance(value, str) and kind is not str:
        value = _parse_text(param, value, origin)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if value is None and param.default is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadInput(
            f"{param.name} from {origin} is {type(value).__name__} {_short(value)}, expected {_a(param.type)}",
            _fix(param, origin),
        )
    _check_size(param, value, origin)
    _check_region(param, value, origin)
    _check_file(param, value, origin)
    if param.choices and value not in param.choices:
        raise BadInput(f"{param.name} from {origin} is {_short(value)}", f"use one of {', '.join(param.choices)}")
    if kind in (int, float):
        _check_number(param, value, origin)
    if param.type.startswith("list["):
        element = TYPES[param.type[5:-1]]
        for i, item in enumerate(value):
            if element is float and isinstance(item, int) and not isinstance(item, bool):
                item = value[i] = float(item)
            if not isinstance(item, element) or isinstance(item, bool):
                raise BadInput(f"{param.name} from {origin} has {type(item).__name__} {_short(item)} at position {i + 1}, expected {param.type[5:-1]} elements",
                               _fix(param, origin))
            if element is float:
                _check_number(param, item, origin)
    return value


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def _check_region(param: Param, value, origin: str) -> None:
    """Region parameters (`rms_region`, `regions`): a typo would send every call to an endpoint that
    does not exist, and only after the run started."""
    if not (param.name.endswith("_region") or param.name == "regions"):
        return
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str) and not _REGION.fullmatch(item):
            raise BadInput(f"{param.name} from {origin}: {_short(item)} is not an AWS region", "give a region name such as us-east-1")


def _check_file(param: Param, value, origin: str) -> None:
    """File parameters (`policy_file`): a JSON document the notebook reads, there and parsed, before anything asks AWS."""
    if not param.name.endswith("_file") or not isinstance(value, str) or not value:
        return
    import json
    from pathlib import Path

    from .paths import project_root

    where = Path(value) if Path(value).is_absolute() else project_root() / value
    if not where.is_file():
        raise BadInput(f"{param.name} from {origin}: no file {_short(value)}", f"give a path relative to {project_root()} (such as the default {param.default})")
    if where.suffix == ".json":
        try:
            json.loads(where.read_text())
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadInput(f"{param.name} from {origin}: {_short(value)} is not JSON ({str(exc)[:60]})", "fix the document, or give another") from None


def _check_size(param: Param, value, origin: str) -> None:
    if isinstance(value, str) and len(value) > MAX_TEXT:
        raise BadInput(f"{param.name} from {origin} is {len(value)} characters long", f"give at most {MAX_TEXT} characters")
    if isinstance(value, (list, dict)) and len(value) > MAX_ITEMS:
        raise BadInput(f"{param.name} from {origin} has {len(value)} elements", f"give at most {MAX_ITEMS}")


def _check_number(param: Param, value, origin: str) -> None:
    """NaN compares false with every threshold (a spike would pass), inf and 1e300 are typos."""
    import math

    if isinstance(value, float) and not math.isfinite(value):
        raise BadInput(f"{param.name} from {origin} is {value}", f"give a finite number, e.g. {_fix(param, origin).split('e.g. ')[-1]}")
    low = param.low if param.low is not None else -ABSURD
    high = param.high if param.high is not None else ABSURD
    if not low <= value <= high:
        raise BadInput(f"{param.name} from {origin} is {value}, outside {_range(param)}", f"give {param.name} a value in {_range(param)}")


def _range(param: Param) -> str:
    def fmt(x):
        return "" if x is None else (str(int(x)) if float(x).is_integer() else str(x))

    if param.low is None and param.high is None:
        return f"±{ABSURD:.0e}"
    return f"[{fmt(param.low)}..{fmt(param.high)}]"


def _parse_text(param: Param, text: str, origin: str) -> Any:
    kind = TYPES[param.type]
    try:
        if kind is bool:
            lowered = text.strip().lower()
            if lowered in ("true", "yes", "1", "on"):
                return True
            if lowered in ("false", "no", "0", "off"):
                return False
            raise ValueError(text)
        if kind is int:
            return int(text)
        if kind is float:
            return float(text)
        import yaml  # lists and dicts are written in YAML/JSON flow style

        from .environment import count_nodes

        value = yaml.safe_load(text)
        count_nodes(value, f"{param.name} from {origin}")  # a 200-byte alias bomb made 5.8 MB records
        return value
    except BadInput:
        raise
    except (ValueError, Exception) as exc:  # yaml.YAMLError and ValueError alike
        shown = text if len(text) <= 80 else text[:80] + "..."  # a 5,000-character value is not echoed whole
        raise BadInput(
            f"{param.name} from {origin} is {shown!r}, not {_a(param.type)}",
            _fix(param, origin),
        ) from exc


def _a(type_name: str) -> str:
    return ("an " if type_name[0] in "aeiou" else "a ") + type_name


def _fix(param: Param, origin: str, missing: bool = False) -> str:
    """How to put it right, in the syntax of where the value came from."""
    example = _example(param)
    if origin == "-p":
        return f"-p {param.name}={example}" if missing else f"give {param.name} {_a(param.type)} value, e.g. -p {param.name}={example}"
    if origin.endswith(".yaml") or ".yaml " in origin:
        return f"set {param.name}: {example} ({_a(param.type)}) in {origin.split(' ')[0]}"
    literal = {"str": '"text"', "Secret": '"env:NAME"', "bool": "True"}.get(param.type, example)
    return f"set {param.name} = {literal} ({_a(param.type)}) in {origin}"


def _example(param: Param) -> str:
    if param.type in ("int", "float"):
        usual = 10 if param.type == "int" else 2.5
        low = param.low if param.low is not None else -ABSURD
        high = param.high if param.high is not None else ABSURD
        if not low <= usual <= high:
            usual = param.default if isinstance(param.default, (int, float)) and low <= param.default <= high else low
        return str(int(usual)) if param.type == "int" else str(float(usual))
    return {"str": "text", "int": "10", "float": "2.5", "bool": "true", "list": "[a,b]", "dict": "{k: v}", "Secret": "env:NAME",
            "list[str]": "[a,b]", "list[int]": "[1,2]", "list[float]": "[1.5,2]"}[param.type]


def expand(value: Any, strict: bool = False, environ: dict | None = None) -> Any:
    """${VAR} references in environment-file values, filled in just before use; once, never
    recursively. `strict`: a reference to an unset variable, or a value that expands to another
    reference, is bad input."""
    environ = os.environ if environ is None else environ
    if isinstance(value, str):
        def fill(m):
            found = environ.get(m.group(1))
            if strict and found is None:
                raise BadInput(f"${{{m.group(1)}}} in an environment file is not set", f"export {m.group(1)}=... or remove the reference")
            if strict and found and "${" in found:
                raise BadInput(f"${{{m.group(1)}}} expands to another ${{...}} reference", f"set {m.group(1)} to a plain value; references are expanded once")
            return found or ""

        return _ENV_REF.sub(fill, value)
    if isinstance(value, list):
        return [expand(v, strict, environ) for v in value]
    if isinstance(value, dict):
        return {k: expand(v, strict, environ) for k, v in value.items()}
    return value


def resolve(specs: dict[str, Param], notebook: str, env: str, env_data: dict, overrides: dict, origin: str = "-p") -> Resolved:
    """Merge defaults < env file < overrides; refuse unknown names, wrong types, missing values."""
    values = {name: p.default for name, p in specs.items()}
    sources = {name: "default" for name in specs}
    env_file = f"parameters/{env}.yaml"
    layers = [(env_file, {k: v for k, v in (env_data.get("parameters") or {}).items() if k in specs}, False, env_file)]
    own = (env_data.get("notebooks") or {}).get(notebook) or {}
    layers.append((f"{env_file} notebooks.{notebook}", own, True, env_file))
    layers.append((origin, overrides, True, origin))
    for where, layer, strict, source in layers:
        for name, value in layer.items():
            if name not in specs:
                if strict:
                    hint = did_you_mean(name, specs)
                    raise BadInput(
                        f"{notebook} has no parameter '{name}' (from {where})",
                        hint or f"its parameters are: {', '.join(specs)}",
                    )
                continue
            if name == "env" and where == origin:
                raise BadInput(f"-p env={str(value)[:40]!r}: the environment is chosen with --env", f"run it with --env {str(value)[:40] or 'NAME'} instead")
            values[name] = coerce(specs[name], value, where)
            sources[name] = source
    if "env" in specs:
        values["env"], sources["env"] = env, "--env"
    missing = [n for n, v in values.items() if v is REQUIRED]
    if missing:
        raise BadInput(
            f"{notebook} needs a value for {', '.join(missing)}",
            " ".join(_fix(specs[n], origin, missing=True) for n in missing),
        )
    return Resolved(values, sources)


_NEEDED_WITH = re.compile(r"\(needed with (\w+)\)")


def needed_with(specs: dict[str, Param], values: dict, notebook: str, origin: str) -> None:
    """A parameter whose help says `(needed with confirm)` may stay empty unless `confirm` is set
    (an incident's impact may be blank in a dry run, not in the declaration)."""
    missing = []
    for n, p in specs.items():
        m = _NEEDED_WITH.search(p.help)
        if m and values.get(m[1]) and not values.get(n):
            missing.append((n, m[1]))
    if missing:
        how = " ".join(f"-p {n}=..." for n, _ in missing) if origin == "-p" else f"fill {', '.join(n for n, _ in missing)} in {origin}"
        raise BadInput(f"{notebook} with {' and '.join(sorted({w for _, w in missing}))} needs {', '.join(n for n, _ in missing)}", how)


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadInput(f"-p {pair!r} is not NAME=VALUE", "write it as -p name=value")
        out[name.strip()] = value
    return out
