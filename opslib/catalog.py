"""The runbook notebooks on disk: find one by name, read what its first cell says about it."""

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import BadInput, did_you_mean
from .paths import notebooks_dir
from .params import cell_source, parameters_cell, parse_spec, read_notebook

_FIELD = re.compile(r"^\*\*(?P<key>[\w ]+):\*\*\s*(?P<value>.+)$")


@dataclass(frozen=True)
class Notebook:
    name: str  # e.g. daily-health-check
    area: str  # e.g. health
    path: Path
    fields: dict  # Purpose, When to use, Expected time, Impact, Replaces, Catches
    acts: bool = False  # a code cell calls `rb.act` or `rb.act_all`

    @property
    def purpose(self) -> str:
        return self.fields.get("purpose", "")

    @property
    def mutating(self) -> bool:
        """Can it change anything: its Impact line starts with 'Changes', or a cell acts."""
        return self.acts or self.fields.get("impact", "").lower().startswith("changes")

    @property
    def incident_need(self) -> str:
        """What its first cell's `**Incident:**` line says it needs: "declares", "open" (an open one),
        "declared" (any declared one), or "" (none)."""
        text = self.fields.get("incident", "")
        if text.startswith("declares"):
            return "declares"
        if text.startswith("required"):
            return "open" if text.removeprefix("required").lstrip(", ").startswith("open") else "declared"
        return ""

    def actions(self) -> list:
        """The guarded actions its cells use (opslib.actions classes it names), each with the IAM actions it needs."""
        from . import actions

        code = "\n".join(cell_source(c) for c in read_notebook(self.path)["cells"] if c.get("cell_type") == "code")
        return [cls for cls in actions.load_all().values() if re.search(rf"\b{cls.__name__}\b", code)]

    def spec(self):
        return parse_spec(parameters_cell(read_notebook(self.path)), f"the parameters cell of {self.path.name}")


def _describe(path: Path, area: str) -> Notebook:
    nb = read_notebook(path)
    fields = {}
    first = next((c for c in nb["cells"] if c.get("cell_type") == "markdown"), None)
    for line in (cell_source(first) if first else "").splitlines():
        m = _FIELD.match(line.strip().lstrip("- "))
        if m:
            fields[m["key"].strip().lower()] = m["value"].strip()
    acts = any(re.search(r"\.act(_all)?\(", cell_source(c)) for c in nb["cells"] if c.get("cell_type") == "code")
    return Notebook(path.stem, area, path, fields, acts)


def _paths() -> list[Path]:
    return [p for p in sorted(notebooks_dir().glob("*/*.ipynb")) if ".ipynb_checkpoints" not in p.parts]


def all_notebooks() -> list[Notebook]:
    return [_describe(p, p.parent.name) for p in _paths()]


def find(name: str) -> Notebook:
    """`daily-health-check`, `health/daily-health-check`, or a path to an .ipynb file."""
    as_path = Path(name)
    if name.endswith(".ipynb"):
        if not as_path.is_file():
            raise BadInput(f"no notebook file {name}", "check the path")
        return _describe(as_path.resolve(), as_path.resolve().parent.name)
    known = _paths()
    for path in known:  # by file name: a broken notebook elsewhere in the catalog does not stop this one
        if name in (path.stem, f"{path.parent.name}/{path.stem}"):
            return _describe(path, path.parent.name)
    hint = did_you_mean(name, [p.stem for p in known])
    raise BadInput(f"unknown notebook '{name}'", hint or "run `opslib list` to see them")
