"""Pages a reviewer reads: `runs/index.html`, every run newest first, kept current after each run.

The page stands alone (no server, nothing fetched): filters by notebook, environment, status and
incident run in the page itself.
"""

import html
import json
from pathlib import Path

from . import filing, history
from .checks import COLOURS
from .secrets import scrub
from .units import plural

STATUS_COLOURS = {"passed": COLOURS["OK"], "warn": COLOURS["WARN"], "critical": COLOURS["CRITICAL"], "error": COLOURS["ERROR"],
                  "failed": "#57606a", "interrupted": "#57606a", "killed": "#57606a"}
_FILTERS = ("notebook", "env", "status", "incident")


def write_index(evidence) -> Path:
    runs = history.runs(evidence)[::-1]
    path = evidence.root / "index.html"
    filing.write_text(path, scrub(index_page(runs))[0])
    return path


def index_page(runs: list[dict]) -> str:
    rows = "\n".join(_row(r) for r in runs)
    options = {key: sorted({str(r.get(key) or "") for r in runs} - {""}) for key in _FILTERS}
    selects = "".join(
        f'<label>{key} <select data-filter="{key}"><option value="">all</option>'
        + "".join(f"<option>{html.escape(v)}</option>" for v in options[key]) + "</select></label> "
        for key in _FILTERS
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>opslib runs: {len(runs)} filed</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; }} td, th {{ text-align: left; padding: .25em .7em; border-bottom: 1px solid #eaeef2; }}
td.status {{ color: white; font-weight: bold; }} label {{ margin-right: 1em; }}
</style></head>
<body><h1>Runs</h1><p>{plural(len(runs), "run")}, newest first. {selects}</p>
<table><thead><tr><th>status</th><th>started (UTC)</th><th>notebook</th><th>env</th><th>incident</th><th>who</th><th>took</th><th>ok/warn/crit/err</th><th>evidence</th></tr></thead>
<tbody>
{rows}
</tbody></table>
<script>
const selects = document.querySelectorAll("select[data-filter]");
function apply() {{
  document.querySelectorAll("tbody tr").forEach(row => {{
    row.hidden = [...selects].some(s => s.value && row.dataset[s.dataset.filter] !== s.value);
  }});
}}
selects.forEach(s => s.addEventListener("change", apply));
</script>
</body></html>
"""


def _row(r: dict) -> str:
    status = str(r.get("status", ""))
    counts = r.get("checks") if isinstance(r.get("checks"), dict) else {}
    took = history.took(r)
    data = " ".join(f'data-{key}="{html.escape(str(r.get(key) or ""), quote=True)}"' for key in _FILTERS)
    run_id = html.escape(json.dumps(r.get("run_id"))[1:-1])
    link = f'<a href="{html.escape(str(r["html"]), quote=True)}">{run_id}</a>' if r.get("html") else f"{run_id} (interactive session: journal only)"
    cells = [str(r.get("started", "")).replace("+00:00", "").replace("T", " "), r.get("notebook", ""), r.get("env", ""),
             r.get("incident") or "", r.get("user", ""), took, "/".join(str(counts.get(k, 0)) for k in ("OK", "WARN", "CRITICAL", "ERROR"))]
    return (f'<tr {data}><td class="status" style="background:{STATUS_COLOURS.get(status, "#57606a")}">{html.escape(status)}</td>'
            + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + f"<td>{link}</td></tr>")
