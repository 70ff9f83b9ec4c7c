"""A check result: one row a responder reads, a scheduler counts and a reviewer reads back.

Check functions live beside this module, one module per service; they take an `Aws` and call
only `opslib.services`, never boto3. A failed call becomes an ERROR row naming the AWS error.
"""

import functools
import inspect
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

from ..units import plural, quantity

OK, WARN, CRITICAL, ERROR = "OK", "WARN", "CRITICAL", "ERROR"
SEVERITY = {OK: 0, WARN: 1, CRITICAL: 2, ERROR: 3}
RUN_STATUS = {OK: "passed", WARN: "warn", CRITICAL: "critical", ERROR: "error"}  # a run's status from its worst check
COLOURS = {OK: "#1a7f37", WARN: "#bf8700", CRITICAL: "#cf222e", ERROR: "#8250df"}
MIME = "application/vnd.opslib.checks+json"
NEXT_MIME = "application/vnd.opslib.next+json"  # a run's Next step (Runbook.next), read back for the console
HEADER_MIME = "application/vnd.opslib.header+json"  # a page's own header (Runbook.header): a post-mortem's incident, not a run's verdict


@dataclass
class Check:
    id: str  # <service>_<resource>_<state>
    status: str
    resource: str
    observed: object
    threshold: str
    sentence: str
    at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    phase: str = ""  # "before": the world before a change this run applied and verified (evidence, not the verdict)

    def to_dict(self) -> dict:
        d = asdict(self)
        if not isinstance(d["observed"], (str, int, float, bool, type(None))):
            d["observed"] = str(d["observed"])
        return d

    def _repr_html_(self) -> str:
        return Report([self])._repr_html_()

    def _repr_mimebundle_(self, include=None, exclude=None):
        return Report([self])._repr_mimebundle_()


def evaluate(value: float, warn: float | None, critical: float | None, higher_is_worse: bool = True) -> str:
    """Status of a value against warning/critical thresholds (either may be None)."""
    beyond = (lambda v, t: v >= t) if higher_is_worse else (lambda v, t: v <= t)
    if critical is not None and beyond(value, critical):
        return CRITICAL
    if warn is not None and beyond(value, warn):
        return WARN
    return OK


def describe_threshold(warn, critical, unit: str = "", higher_is_worse: bool = True) -> str:
    """`warn >= 1 s, critical >= 2 s` for 1000.0 and 2000.0 ms: thresholds as people write them."""
    op = ">=" if higher_is_worse else "<="
    parts = []
    if warn is not None:
        parts.append(f"warn {op} {quantity(warn, unit)}")
    if critical is not None:
        parts.append(f"critical {op} {quantity(critical, unit)}")
    return ", ".join(parts)


def error_check(check_id: str, resource: str, exc: BaseException) -> Check:
    """An exception as a failed check with its reason, so the other checks still run."""
    code, message = fault_reason(exc)
    return Check(check_id, ERROR, resource, code, "call succeeds", f"Could not check {resource}: {code}: {message}")


def fault_reason(exc: BaseException) -> tuple[str, str]:
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return err.get("Code") or "ClientError", err.get("Message") or str(exc)
    name = type(exc).__name__
    if "Timeout" in name:
        return "Timeout", str(exc)
    if "EndpointConnection" in name or "ConnectionClosed" in name:
        return "ConnectionError", str(exc)
    return name, str(exc)


def check(check_id: str):
    """Mark a check function; any exception it raises becomes an ERROR row for its resource.

    The resource named in that row is the function's second argument (after `aws`).
    """

    def wrap(fn):
        signature = inspect.signature(fn)
        resource_arg = list(signature.parameters)[1]

        @functools.wraps(fn)
        def run(aws, *args, **kwargs):
            try:
                return fn(aws, *args, **kwargs)
            except Exception as exc:  # a fault is a finding, not a traceback that hides the rest
                bound = signature.bind_partial(aws, *args, **kwargs)
                bound.apply_defaults()
                return error_check(check_id, str(bound.arguments.get(resource_arg)), exc)

        run.check_id = check_id
        return run

    return wrap


BEFORE = "before"
BEFORE_COLOUR = "#6e7781"


class Report(list):
    """Checks shown as one colour-coded table with a verdict, and recorded as data in the output. Rows of the
    world before a change the run applied and verified (`phase` "before") stay as evidence, out of the verdict."""

    @property
    def current(self) -> list:
        return [c for c in self if c.phase != BEFORE]

    @property
    def worst(self) -> str:
        return max((c.status for c in self.current), key=SEVERITY.__getitem__, default=OK)

    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in SEVERITY}
        for c in self.current:
            out[c.status] += 1
        return out

    def verdict(self) -> str:
        """`All 7 checks OK.`, `The check is OK.`, `1 error and 2 warnings among 7 checks.`: worst first."""
        n, total = self.counts(), len(self.current)
        before = len(self) - total
        after = f" (after the change; {plural(before, 'row')} before it kept as evidence)" if before else ""
        if self.worst == OK:
            return ("The check is OK." if total == 1 else f"All {total} checks OK.")[:-1] + after + "."
        words = {ERROR: ("error", "errors"), CRITICAL: ("critical", "critical"), WARN: ("warning", "warnings")}
        bad = [f"{n[s]} {words[s][n[s] != 1]}" for s in (ERROR, CRITICAL, WARN) if n[s]]
        listed = bad[0] if len(bad) == 1 else ", ".join(bad[:-1]) + " and " + bad[-1]
        return (f"{listed} among {plural(total, 'check')}" if total > 1 else f"The check is {self.worst}") + after + "."

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([c.to_dict() for c in self])

    def _repr_html_(self) -> str:
        from ..templating import render

        # mathjax_ignore / tex2jax_ignore: JupyterLab must not typeset "$120.04 ... $138.96" as maths
        return render("checks.html.j2", rows=[(c, BEFORE_COLOUR if c.phase == BEFORE else COLOURS[c.status]) for c in self], colour=COLOURS[self.worst],
                      verdict=self.verdict() if len(self) > 1 else "")

    def __repr__(self) -> str:
        lines = [f"{c.status:<8} {c.id:<32} {c.resource:<28} {c.sentence}" + (" [before the change]" if c.phase == BEFORE else "") for c in self]
        if len(self) > 1:
            lines.append(self.verdict())
        return "\n".join(lines)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {
            "text/plain": repr(self),
            "text/html": self._repr_html_(),
            MIME: {"checks": [c.to_dict() for c in self]},
        }


def next_from_notebook(nb: dict) -> str:
    """The last Next step an executed notebook showed ("" when none)."""
    return str(_last(nb, NEXT_MIME).get("text", ""))


def header_from_notebook(nb: dict) -> list[list[str]]:
    """The last header an executed notebook showed ([] when none): [label, value] in order."""
    return [[str(k), str(v)] for k, v in _last(nb, HEADER_MIME).get("fields", []) if isinstance(k, str)]


def _last(nb: dict, mime: str) -> dict:
    found: dict = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {}).get(mime)
            if data is not None:
                found = json.loads(data) if isinstance(data, str) else dict(data)
    return found


def from_notebook(nb: dict) -> Report:
    """Read back every check recorded in an executed notebook (last record of each id wins)."""
    latest: dict[str, Check] = {}
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            data = out.get("data", {}).get(MIME)
            if data is None:
                continue
            if isinstance(data, str):
                data = json.loads(data)
            for row in data.get("checks", []):
                latest[(row["id"], row["resource"])] = Check(**row)
    return Report(latest.values())
