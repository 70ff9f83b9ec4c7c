"""How bad is it: impact answers to the affected service's severity level (parameters/incidents/severity.yaml).

The seeds grade incidents on four different scales (P0-P3, P1-P4 twice, Critical-Low). A
responder answers the same four questions whatever the service; the answers give a tier, and the
service's own scale names it, so the notification says "P1" for EC2 Manager and "Critical" for RMS.
"""

from dataclasses import dataclass
from functools import cache

from .errors import BadInput, did_you_mean
from .paths import parameters_dir

FILE = "incidents/severity.yaml"


@dataclass(frozen=True)
class Level:
    tier: int
    name: str  # P1, Critical, ...
    description: str
    response: str  # response time, as the seed writes it
    page: str  # who to page (or how to notify)
    update_minutes: int  # how often the commander posts an update; 0: no cadence
    seed: str  # where the row comes from
    scale: str  # the seed whose scale it is
    why: str = ""  # the answers that chose it

    def _repr_html_(self) -> str:
        rows = [("severity", self.name), ("meaning", self.description), ("respond within", self.response), ("page", self.page),
                ("updates", f"every {self.update_minutes} minutes" if self.update_minutes else "as needed"), ("because", self.why),
                ("scale", f"seed {self.seed}")]
        from .templating import render

        return render("facts.html.j2", rows=rows)

    def __repr__(self) -> str:
        return f"{self.name} ({self.description}): respond within {self.response}; page {self.page}; because {self.why}"


@cache
def table() -> dict:
    import yaml

    return yaml.safe_load((parameters_dir() / FILE).read_text(encoding="utf-8"))


def service(name: str) -> dict:
    """A service's entry (scale, region, metrics); unknown names are bad input."""
    services = table()["services"]
    if name not in services:
        hint = did_you_mean(name, services)
        raise BadInput(f"unknown service {name!r}", (hint + " " if hint else "") + f"known: {', '.join(services)} (parameters/{FILE})")
    return services[name]


def levels(service_name: str) -> list[Level]:
    scale = service(service_name)["scale"]
    return [Level(**row, scale=scale) for row in table()["scales"][scale]]


def classify(service_name: str, service_down: bool, data_lost: bool, users_affected_pct: float, workaround: bool, override: str = "") -> Level:
    """The level for these answers, or the one named by `override` (a responder's call, recorded as such)."""
    scale = levels(service_name)
    if override:
        named = {lv.name.lower(): lv for lv in scale}
        if override.strip().lower() not in named:
            raise BadInput(f"severity {override!r} is not on {service_name}'s scale", f"use one of {', '.join(lv.name for lv in scale)}, or leave severity empty to classify from the answers")
        return _because(named[override.strip().lower()], f"set by the responder (severity={override})")
    major = float(table()["major_users_pct"])
    if service_down or data_lost:
        tier, why = 1, "the service is down" if service_down else "data was lost"
    elif users_affected_pct >= major and not workaround:
        tier, why = 2, f"{users_affected_pct:g}% of users affected (>= {major:g}%) with no workaround"
    elif users_affected_pct > 0:
        tier, why = 3, f"{users_affected_pct:g}% of users affected" + (", with a workaround" if workaround else "")
    else:
        tier, why = 4, "nobody is blocked"
    return _because(next(lv for lv in scale if lv.tier == tier), why)


def _because(level: Level, why: str) -> Level:
    from dataclasses import replace

    return replace(level, why=why)
