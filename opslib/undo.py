"""Putting back what a run changed: each applied action journaled how to undo it (verb, args, region);
these rebuild those undos as guarded actions of their own. `opslib undo RUN-ID` runs the undo notebook
(change/undo), which plans them (a dry run) and applies them only when confirmed, filed like any run."""


def applied(evidence, run_id: str) -> list[dict]:
    """The run's applied changes, as the journal holds them (found through the evidence index); those of a
    run killed while applying (`interrupted`) too: they may have applied."""
    from .evidence_index import Index

    with Index.open(evidence) as index:
        return [r for r in index.actions(run_id, statuses=("applied", "interrupted")) if not r.get("dry_run")]


def run_of(evidence, run_id: str) -> dict:
    """The run's ledger record ({} when this evidence holds none): its notebook, parameters and target."""
    from .evidence_index import Index

    with Index.open(evidence) as index:
        found = index.runs(run_ids=[run_id])
    return found[0] if found else {}


def target_of(evidence, run_id: str) -> str:
    """The account/region the run acted on, when it ran on one of its environment's targets ("" otherwise)."""
    return str(run_of(evidence, run_id).get("target") or "")


def which(evidence, run_id: str = "") -> str:
    """The run to undo: the one named, else the newest that applied a change."""
    return run_id or latest_run(evidence)


def latest_run(evidence) -> str:
    """The newest run that applied a change (and is not itself an undo), or ""."""
    from .evidence_index import Index

    with Index.open(evidence) as index:
        found = index.latest_applied(lambda r: not r.get("dry_run") and not r.get("undoes"))
    return str(found.get("run_id", "")) if found else ""


def actions(done: list[dict]) -> list:
    """The guarded actions that put back what `done` changed, newest change first, each in its region and naming the run it undoes."""
    from . import actions as _actions

    registry, out = _actions.load_all(), []
    for record in reversed(done):
        for spec in record.get("undo") or []:
            action = registry[spec["verb"]](**spec["args"])
            action.region, action.undoes = spec.get("region", ""), record.get("run_id", "")
            out.append(action)
    return out


def cannot(done: list[dict]) -> list[str]:
    """The changes that have no undo, each with why."""
    return [f"{r.get('action')}: {r.get('undo_note') or 'no undo recorded'}" for r in done if not r.get("undo")]
