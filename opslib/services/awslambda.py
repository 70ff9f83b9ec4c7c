"""Lambda (`lambda` is a keyword, hence the name)."""

import base64
import json
import re
from functools import partial

from ..aws import at_once
from . import logs

_REPORT = re.compile(r"RequestId: (\S+)\s+Duration: ([\d.]+) ms.*?Memory Size: (\d+) MB\s+Max Memory Used: (\d+) MB(?:\s+Init Duration: ([\d.]+) ms)?")


def configuration(aws, name: str, region: str = "", qualifier: str = "") -> dict:
    """`aws lambda get-function-configuration --function-name NAME [--qualifier ALIAS]`."""
    extra = {"Qualifier": qualifier} if qualifier else {}
    return aws.client("lambda", region or None).get_function_configuration(FunctionName=name, **extra)


def report(message: str) -> dict | None:
    """A REPORT line as numbers: duration, memory size and used, init duration (a cold start)."""
    m = _REPORT.search(message)
    if not m:
        return None
    rid, duration, size, used, init = m.groups()
    return {"request_id": rid, "duration_ms": float(duration), "memory_mb": int(size), "used_mb": int(used), "init_ms": float(init) if init else None}


def invocations(aws, name: str, minutes: int) -> dict:
    """Seed 001 "Lambda Function Issues" step 2 (`--filter-pattern "ERROR"`) and "Lambda Optimization"
    (`[report_type="REPORT", ...]`) on the function's log, at once: its error lines and its REPORT lines as numbers."""
    group = f"/aws/lambda/{name}"
    errors, reports = at_once([partial(logs.filter_events, aws, group, "ERROR", minutes),
                                           partial(logs.filter_events, aws, group, '[report_type="REPORT", ...]', minutes)])
    return {"log_group": group, "errors": errors, "reports": [r for r in (report(e["message"]) for e in reports) if r]}


def test_invoke(aws, name: str, qualifier: str, payload: dict) -> dict:
    """Seed 001 "API Gateway Issues" step 5: `aws lambda invoke --payload '{"test": "data"}'`, with the log tail."""
    answer = aws.client("lambda").invoke(FunctionName=name, Qualifier=qualifier, Payload=json.dumps(payload).encode(), LogType="Tail")
    tail = base64.b64decode(answer.get("LogResult") or b"").decode(errors="replace")
    reports = [r for r in (report(line) for line in tail.splitlines()) if r]
    return {"status": answer["StatusCode"], "function_error": answer.get("FunctionError", ""), "version": answer.get("ExecutedVersion", ""),
            "payload": answer["Payload"].read().decode(errors="replace"), "log": tail, "report": reports[-1] if reports else None}


def versions(aws, name: str, alias: str) -> dict:
    """`aws lambda get-alias` and `list-versions-by-function`: where the alias points, every published
    version (oldest first, $LATEST left out), and the one before the alias's (the rollback target)."""
    lam = aws.client("lambda")
    pointed = lam.get_alias(FunctionName=name, Name=alias)
    found = [v for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=name) for v in page["Versions"] if v["Version"] != "$LATEST"]
    found.sort(key=lambda v: int(v["Version"]))
    older = [v["Version"] for v in found if int(v["Version"]) < int(pointed["FunctionVersion"])] if pointed["FunctionVersion"].isdigit() else []
    return {"alias": pointed, "versions": found, "previous": older[-1] if older else ""}


def version_use(aws, name: str) -> dict:
    """Seed 001 "Old Resource Cleanup": every published version (`list-versions-by-function`), with what points at it: its
    aliases (`list-aliases`, weighted routing too) and event sources (`list-event-source-mappings`)."""
    from ..aws import at_once

    lam = aws.client("lambda")
    versions, aliases, mappings = at_once([
        lambda: [v for page in lam.get_paginator("list_versions_by_function").paginate(FunctionName=name) for v in page["Versions"] if v["Version"] != "$LATEST"],
        lambda: [a for page in lam.get_paginator("list_aliases").paginate(FunctionName=name) for a in page["Aliases"]],
        lambda: [m for page in lam.get_paginator("list_event_source_mappings").paginate(FunctionName=name) for m in page["EventSourceMappings"]]])
    used: dict[str, list[str]] = {}
    for a in aliases:
        used.setdefault(a["FunctionVersion"], []).append(f"alias {a['Name']}")
        for weighted in ((a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}):
            used.setdefault(weighted, []).append(f"alias {a['Name']} (weighted)")
    for m in mappings:
        version = m.get("FunctionArn", "").rsplit(":", 1)[-1] if m.get("FunctionArn", "").count(":") > 6 else "$LATEST"
        used.setdefault(version, []).append(f"event source {m.get('EventSourceArn', '').rsplit(':', 1)[-1]}")
    return {"function": name, "versions": sorted(versions, key=lambda v: int(v["Version"])), "used": used}
