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
from .paths import parameters_dir

TYPES = {"str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict, "Secret": "Secret"}
REQUIRED = object()  # a parameter whose default is `...`
_ENV_REF = re.compile(r"\$\{(\w+)\}")


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    help: str

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    @property
    def secret(self) -> bool:
        return self.type == "Secret"


@dataclass
class Resolved:
    """Parameter values in effect, and where each came from (default, env, cli)."""

    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)

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
    return json.loads(Path(path).read_text())


def parameters_cell(nb: dict) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "parameters" in cell.get("metadata", {}).get("tags", []):
            return "".join(cell["source"])
    return ""


def parse_spec(source: str) -> dict[str, Param]:
    """Read `name: type = value  # help` lines; each must be a literal of the annotated type."""
    specs: dict[str, Param] = {}
    lines = source.splitlines()
    for node in ast.parse(source).body:
        if not isinstance(node, ast.AnnAssign) or not isinstance(node.target, ast.Name):
            continue
        name = node.target.id
        type_name = ast.unparse(node.annotation)
        if type_name not in TYPES:
            raise BadInput(f"parameter {name} has type {type_name}", f"use one of {', '.join(TYPES)}")
        if isinstance(node.value, ast.Constant) and node.value.value is Ellipsis:
            default = REQUIRED
        else:
            default = ast.literal_eval(node.value)
        comment = lines[node.lineno - 1].partition("#")[2].strip() if "#" in lines[node.lineno - 1] else ""
        specs[name] = Param(name, type_name, default, comment)
    return specs


def coerce(param: Param, value: Any, origin: str) -> Any:
    """Convert a value (a string from the command line, or YAML data) to the parameter's type."""
    if param.secret:
        if value is None or isinstance(value, str):
            return value
        raise BadInput(f"{param.name} from {origin} is not text", f"give a string, or env:VARIABLE")
    kind = TYPES[param.type]
    if isinstance(value, str) and kind is not str:
        value = _parse_text(param, value, origin)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if value is None and param.default is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise BadInput(
            f"{param.name} from {origin} is {type(value).__name__} {value!r}, expected {_a(param.type)}",
            _fix(param, origin),
        )
    return value


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

        return yaml.safe_load(text)
    except (ValueError, Exception) as exc:  # yaml.YAMLError and ValueError alike
        raise BadInput(
            f"{param.name} from {origin} is {text!r}, not {_a(param.type)}",
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
    return {"str": "text", "int": "10", "float": "2.5", "bool": "true", "list": "[a,b]", "dict": "{k: v}", "Secret": "env:NAME"}[param.type]


def environments() -> list[str]:
    return sorted(p.stem for p in parameters_dir().glob("*.yaml"))


def load_environment(env: str) -> dict:
    """parameters/<env>.yaml with ${VAR} references expanded from the process environment."""
    import yaml

    path = parameters_dir() / f"{env}.yaml"
    if not path.is_file():
        known = environments()
        hint = did_you_mean(env, known)
        raise BadInput(
            f"unknown environment '{env}'",
            (hint + " " if hint else "") + f"known: {', '.join(known) or 'none'} (parameters/<env>.yaml)",
        )
    data = yaml.safe_load(path.read_text()) or {}
    for key in data:
        if key not in ("aws", "production", "parameters", "notebooks", "description"):
            raise BadInput(f"{path.name}: unknown section '{key}'", "use aws, production, parameters or notebooks")
    return data


def expand(value: Any) -> Any:
    """${VAR} references in environment-file values, filled in just before use."""
    if isinstance(value, str):
        return _ENV_REF.sub(lambda m: os.environ.get(m.group(1), ""), value)
    if isinstance(value, list):
        return [expand(v) for v in value]
    if isinstance(value, dict):
        return {k: expand(v) for k, v in value.items()}
    return value


def resolve(specs: dict[str, Param], notebook: str, env: str, env_data: dict, overrides: dict, origin: str = "-p") -> Resolved:
    """Merge defaults < env file < overrides; refuse unknown names, wrong types, missing values."""
    values = {name: p.default for name, p in specs.items()}
    sources = {name: "default" for name in specs}
    layers = [(f"parameters/{env}.yaml", {k: v for k, v in (env_data.get("parameters") or {}).items() if k in specs}, False)]
    own = (env_data.get("notebooks") or {}).get(notebook) or {}
    layers.append((f"parameters/{env}.yaml notebooks.{notebook}", own, True))
    layers.append((origin, overrides, True))
    for where, layer, strict in layers:
        for name, value in layer.items():
            if name not in specs:
                if strict:
                    hint = did_you_mean(name, specs)
                    raise BadInput(
                        f"{notebook} has no parameter '{name}' (from {where})",
                        hint or f"its parameters are: {', '.join(specs)}",
                    )
                continue
            values[name] = coerce(specs[name], value, where)
            sources[name] = "cli" if where == origin else "env"
    if "env" in specs:
        values["env"], sources["env"] = env, "env"
    missing = [n for n, v in values.items() if v is REQUIRED]
    if missing:
        raise BadInput(
            f"{notebook} needs a value for {', '.join(missing)}",
            " ".join(_fix(specs[n], origin, missing=True) for n in missing),
        )
    return Resolved(values, sources)


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise BadInput(f"-p {pair!r} is not NAME=VALUE", "write it as -p name=value")
        out[name.strip()] = value
    return out
