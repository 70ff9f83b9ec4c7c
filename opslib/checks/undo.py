"""Whether a run's changes can be put back."""

from .. import undo
from ..units import plural
from . import OK, WARN, Check


def coverage(done: list[dict], run_id: str) -> Check:
    if not run_id:
        return Check("undo_coverage", OK, "runs", 0, "every change undoable", "No run in this runs directory applied a change: nothing to undo.")
    if not done:
        return Check("undo_coverage", WARN, run_id, 0, "every change undoable", f"Run {run_id} applied no change here: `opslib history` lists the runs and what each changed.")
    missing = undo.cannot(done)
    if missing:
        return Check("undo_coverage", WARN, run_id, f"{len(done) - len(missing)}/{len(done)}", "every change undoable",
                     f"{plural(len(missing), 'change')} of run {run_id} cannot be put back ({'; '.join(missing)}): undo it by hand, as a new change.")
    return Check("undo_coverage", OK, run_id, f"{len(done)}/{len(done)}", "every change undoable",
                 f"Every change run {run_id} applied ({len(done)}) can be put back: the plan is below.")
