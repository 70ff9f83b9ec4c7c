"""Every account and region an environment names (`targets:` in parameters/<env>.yaml): a notebook run once per
target, each filed as its own run with its target in the record, and one table of target x check after them.

    targets:
      accounts:
        - {name: prod, role_arn: "arn:aws:iam::111111111111:role/OpsAudit", external_id: opslib}
        - {name: tools, profile: tools}
      regions: [us-east-1, us-west-2]
"""

import json
import re

from .errors import BadInput

ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")


def check(section, where: str, text: str = "") -> None:
    """Bad input, before anything runs: each account named, with a profile or a role ARN (not both), regions by name.
    `text`: the file, for the line of each account in messages."""
    if section is None:
        return
    if not isinstance(section, dict) or not isinstance(section.get("accounts"), list) or not section["accounts"]:
        raise BadInput(f"{where}: targets needs a list of accounts", "targets: {accounts: [{name: prod, role_arn: arn:aws:iam::<account>:role/<name>}], regions: [...]}")
    seen = set()
    for i, account in enumerate(section["accounts"]):
        problem = _problem(account, seen)
        if problem:
            lines = _lines(text)  # composed only for a message: a good file is not parsed twice
            at = f"{where} line {lines[i]}" if i < len(lines) else f"{where} targets.accounts[{i}]"
            raise BadInput(f"{at}: {problem[0]}", problem[1])
        seen.add(account["name"])
    regions = section.get("regions") or []
    bad = [r for r in regions if not REGION.fullmatch(str(r))] if isinstance(regions, list) else [regions]
    if bad:
        raise BadInput(f"{where}: targets.regions has {', '.join(map(str, bad))}", "give region names such as us-east-1")


def _problem(account, seen: set) -> tuple[str, str] | None:
    """What is wrong with one account entry, and its fix."""
    if not isinstance(account, dict) or not NAME.fullmatch(str(account.get("name", ""))) or account.get("name") in seen:
        return "an account needs a name of its own", "give each account a name: letters, digits, - and _"
    unknown = set(account) - {"name", "profile", "role_arn", "external_id"}
    if unknown:
        return f"unknown setting {', '.join(sorted(unknown))}", "use name, profile or role_arn, external_id"
    if bool(account.get("profile")) == bool(account.get("role_arn")):
        return (f"account {account['name']} has {'both a profile and a role' if account.get('profile') else 'neither a profile nor a role'}",
                "give one: profile: NAME (a profile in ~/.aws/config) or role_arn: arn:aws:iam::<account>:role/<name> to assume")
    if account.get("role_arn") and not ROLE_ARN.fullmatch(str(account["role_arn"])):
        return f"role_arn {str(account['role_arn'])[:80]!r} is not a role's ARN", "write arn:aws:iam::<12-digit account>:role/<role name>"
    return None


def _lines(text: str) -> list[int]:
    """The line of each `targets.accounts` entry in the file's text (none when it cannot be told)."""
    import yaml

    def child(node, key):
        pairs = node.value if isinstance(node, yaml.MappingNode) else []
        return next((v for k, v in pairs if k.value == key), None)

    try:
        accounts = child(child(yaml.compose(text), "targets"), "accounts") if text else None
    except yaml.YAMLError:
        return []
    return [n.start_mark.line + 1 for n in accounts.value] if isinstance(accounts, yaml.SequenceNode) else []


def expand(env_data: dict) -> list[dict]:
    """One target per account x region ({name, account, region, role_arn|profile, external_id}); none when the
    environment names no targets."""
    section = env_data.get("targets")
    if not section:
        return []
    regions = section.get("regions") or [(env_data.get("aws") or {}).get("region") or "us-west-2"]
    return [{"name": f"{a['name']}/{r}", "account": a["name"], "region": r, **{k: a[k] for k in ("role_arn", "profile", "external_id") if a.get(k)}}
            for a in section["accounts"] for r in regions]


def variable(target: dict) -> str:
    return json.dumps({k: target.get(k) for k in ("role_arn", "profile", "external_id", "region")})


def table(results: list[tuple[str, object]]) -> tuple[list[str], list[dict]]:
    """(check ids, one row per target): each cell the worst status of that check there; `could not check` where every row
    of it was an ERROR (a role not assumable, credentials expired, a region disabled, throttled out)."""
    from .checks import COLOURS, SEVERITY

    columns = list(dict.fromkeys(c.id for _, outcome in results if outcome is not None for c in outcome.report if c.phase != "before"))
    rows = []
    for target, outcome in results:
        cells = []
        for column in columns:
            found = [c for c in (outcome.report if outcome is not None else []) if c.id == column and c.phase != "before"]
            worst = max((c.status for c in found), key=SEVERITY.get, default=None)
            said = "could not check" if worst == "ERROR" else (worst or "-")
            cells.append((said, COLOURS.get(worst, "#8c959f"), "; ".join(c.sentence for c in found if c.status == worst)[:500]))
        if outcome is None:
            cells = [("not run", COLOURS["ERROR"], "stopped before it started")] * len(columns)
        rows.append({"target": target, "run_id": outcome.record.get("run_id", "") if outcome is not None else "", "status": outcome.status if outcome is not None else "not run",
                     "href": outcome.record.get("html", "") if outcome is not None else "", "cells": cells})
    return columns, rows


def summary(notebook: str, env: str, results: list[tuple[str, object]], runs_dir) -> tuple[str, str]:
    """The console's table of target x check, and the page beside the runs (`summaries/`), escaped by its template."""
    from datetime import datetime, timezone
    from pathlib import Path

    from .templating import render

    columns, rows = table(results)
    width = max([len(r["target"]) for r in rows] + [6])
    lines = [f"{'target':<{width}}  {'run':<10}  " + "  ".join(columns)]
    for r in rows:
        lines.append(f"{r['target']:<{width}}  {r['run_id'] or '-':<10}  " + "  ".join(f"{cell:<{len(col)}}" for (cell, _, _), col in zip(r["cells"], columns)))
    bad = [r["target"] for r in rows if any(cell == "could not check" for cell, _, _ in r["cells"])]
    said = f"{len(rows)} targets; " + (f"could not check {', '.join(bad)} (ERROR: its run says why)." if bad else "every target checked.")
    folder = Path(runs_dir) / "summaries"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    page = folder / f"{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}__{notebook}__{env}.html"
    for r in rows:
        r["href"] = f"../{r['href']}" if r["href"] else ""
    page.write_text(render("targets.html.j2", notebook=notebook, env=env, said=said, columns=columns, rows=rows))
    return "\n".join([*lines, said]), str(page)
