"""Guarded mutations: the one way opslib changes infrastructure.

An action says what it would change (plan), changes nothing unless confirmed (dry-run by
default), refuses production without a change or incident reference and plans larger than its
cap, captures state before and after, and journals every step.

Every plan has an id (`PLAN-` and twelve hex digits): a hash of the action, its targets, the
state it read and the state it will set. Confirming with that id (`-p confirm=PLAN-...`, several
joined by commas, or the button under the plan) applies only if the plan computed now has that id: if anything changed
since it was reviewed, nothing is applied and the new plan is shown (stale). Production accepts
only a plan id, never a bare `confirm=true`.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field

from ..errors import ActionRefused
from ..units import plural

REGISTRY: dict[str, type] = {}
TABLE_PERMISSIONS = ("dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem")  # opslib.locks, opslib.approvals


def shown(value) -> str:
    """A before/after value as a person reads it: nothing there yet is `(none)`, not `None`."""
    return "(none)" if value is None else str(value)


@dataclass
class Change:
    resource: str
    attribute: str
    before: object
    after: object

    def __str__(self) -> str:
        return f"{self.resource} {self.attribute}: {shown(self.before)} -> {shown(self.after)}"

    @classmethod
    def from_record(cls, d: dict) -> "Change":
        """A change as the journal holds it."""
        return cls(d.get("resource"), d.get("attribute"), d.get("before"), d.get("after"))


class Action:
    """Subclass with `verb`, `permissions`, and `capture` / `plan` / `apply`."""

    verb = ""
    permissions: tuple[str, ...] = ()
    max_resources = 20
    needs_reference = True  # in production, only under a change or incident reference
    takes_locks = True  # one responder at a time per resource (opslib.locks); notices and records need not
    needs_approval = True  # when the environment asks for a second person's approval of each plan (opslib.approvals)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.verb:
            REGISTRY[cls.verb] = cls

    def capture(self, aws) -> dict:
        raise NotImplementedError

    def plan(self, before: dict) -> list[Change]:
        raise NotImplementedError

    def apply(self, aws, changes: list[Change]) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        return self.verb

    verify_within_s = 60  # how long applying waits for the change to take effect
    undo_note = "this change has no undo"  # said when `undo` gives nothing
    region = ""  # where to act when not the run's region (an undo acts where the change was made)
    undoes = ""  # the run whose change this puts back (opslib.undo)

    def args(self) -> dict | None:
        """What rebuilds this action from the journal (`REGISTRY[verb](**args)`); None: it cannot be."""
        return None

    def shape(self) -> dict | None:
        """Everything that shapes what applying does beyond its changes, for the plan id: by default its arguments."""
        return self.args()

    def undo(self, before: dict, changes: list[Change]) -> list["Action"]:
        """The guarded actions that put `before` back (opslib undo RUN-ID); none when it cannot be undone."""
        return []

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        """Has the change taken effect? By default: planning again from the state now finds nothing left to do."""
        left = self.plan(after)
        return (not left, "the state now is what was planned" if not left else "still to take effect: " + "; ".join(str(c) for c in left))

    def blocked(self, before: dict) -> str:
        """Why this plan must not be applied now, in the state read (a Terraform lock held): refused, shown with its plan."""
        return ""

    def results(self) -> list:
        """Check rows about what applying did (a notice not delivered), recorded by the run once applied."""
        return []


PLAN_ID = re.compile(r"PLAN-[0-9a-f]{12}(,PLAN-[0-9a-f]{12})*")  # one plan id, or several (a notebook that plans more than one action)


def plan_id(action: "Action", before: dict, changes: list[Change]) -> str:
    """The plan's id: the same action, shaped the same way (every argument: a container's run options, a notice's
    words), on the same state, setting the same values, has the same id; a reviewed id applies nothing else."""
    body = dumps({"verb": action.verb, "action": action.describe(), "shape": action.shape(), "before": before, "changes": [vars(c) for c in changes]})
    return "PLAN-" + hashlib.sha256(body.encode()).hexdigest()[:12]


@dataclass
class Outcome:
    action: str
    status: str  # planned (dry-run), applied, nothing-to-do, refused, stale, unapproved, locked, failed; interrupted (killed while applying: may have applied)
    changes: list[Change]
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    message: str = ""
    error: BaseException | None = None  # why a failed apply failed
    plan_id: str = ""
    verified: bool | None = None  # applied: did the change take effect (None: not applied)
    undo_note: str = ""  # applied with no undo: why (the journal records it beside `undo`)

    def to_dict(self) -> dict:
        return {
            "action": self.action,
            "status": self.status,
            "changes": [vars(c) for c in self.changes],
            "before": self.before,
            "after": self.after,
            "message": self.message,
            "plan_id": self.plan_id,
            "verified": self.verified,
        }

    def _repr_html_(self) -> str:
        from ..templating import render

        colour = {"applied": "#1a7f37", "planned": "#0969da", "nothing-to-do": "#57606a"}.get(self.status, "#cf222e")
        return render("action.html.j2", colour=colour, action=self.action, status=self.status, message=self.message,  # not typeset as maths, as check tables are not
                      rows=[(c.resource, c.attribute, shown(c.before), shown(c.after)) for c in self.changes])

    def __repr__(self) -> str:
        lines = [f"{self.action}: {self.status.upper()}. {self.message}"]
        lines += [f"  {c}" for c in self.changes]
        return "\n".join(lines)


@dataclass
class Guard:
    """The context an action runs in: who is asking, where, and under which reference."""

    aws: object
    journal: object  # callable(kind, **fields)
    production: bool = False
    reference: str = ""  # change or incident id
    locks: object = None  # opslib.locks.Locks when the environment names an actions table
    approvals: object = None  # opslib.approvals.Approvals when the environment asks for approval
    run_id: str = ""  # the run that applies (what an approval is spent on)


def execute(action: Action, guard: Guard, confirm: bool | str = False, confirmed_by: str = "parameter") -> Outcome:
    """Plan, and apply when confirmed: `True` applies the plan made now (outside production), a plan
    id applies only that reviewed plan. A refusal raises ActionRefused (a stale plan id included,
    with the new plan journaled); a failed apply is an Outcome with status `failed` and its `error`."""
    before = action.capture(guard.aws)
    changes = action.plan(before)
    name = action.describe()
    pid = plan_id(action, before, changes) if changes else ""
    if not changes:
        out = Outcome(name, "nothing-to-do", [], before, before, "Nothing to change.")
        guard.journal("action", **out.to_dict(), dry_run=not confirm)
        return out
    def refuse(status: str, message: str, fix: str, shown: bool = True, **extra):
        """Journal the refusal (nothing applied); `shown`: the run shows the plan and a red row instead of failing."""
        out = Outcome(name, status, changes, before, before, message, plan_id=pid)
        guard.journal("action", **out.to_dict(), dry_run=True, **extra)
        raise ActionRefused(message, fix, outcome=out if shown else None)

    if why := action.blocked(before):
        refuse("refused", why, "wait until it is clear, then plan again (a dry run)")
    if len(changes) > action.max_resources:
        refuse("refused", f"{len(changes)} changes exceed the cap of {action.max_resources}; narrow the targets.",
               "narrow the targets or raise the action's cap deliberately", shown=False)
    approvals = guard.approvals if action.needs_approval else None
    if not confirm:
        ask = f" It needs a second person's approval first: `opslib approve {pid}`." if approvals is not None else ""
        if approvals is not None:
            approvals.request(pid, name, [str(c) for c in changes])
        out = Outcome(name, "planned", changes, before, before,
                      f"Dry run: {plural(len(changes), 'change')} planned as {pid}, nothing changed. Apply exactly this plan with confirm={pid}.{ask}", plan_id=pid)
        guard.journal("action", **out.to_dict(), dry_run=True)
        return out
    if isinstance(confirm, str) and pid not in confirm.split(","):
        refuse("stale", f"{confirm} is stale or not a plan of this run: the state or the parameters changed since it was planned, or the id is "
               f"mistyped. Nothing was applied; the plan now is {pid} (above). Review it, then confirm={pid}.",
               f"review the new plan and run again with -p confirm={pid}", confirmed_plan=confirm)
    if guard.production and confirm is True:
        refuse("refused", f"Production applies only a reviewed plan: this one is {pid}.", f"review the plan above, then run again with -p confirm={pid}")
    if guard.production and not guard.reference and action.needs_reference:
        refuse("refused", "Production changes need a change or incident reference.", "pass --incident INC-... (or -p change_ref=CHG-...) and run again", shown=False)
    approver, spent = approvals.standing(pid) if approvals is not None else ("", "")
    if spent:
        refuse("unapproved", f"{pid}'s approval was already used (run {spent}): one approval applies a plan once.",
               f"plan again (a dry run) and ask a second person to run: opslib approve {pid}")
    if approvals is not None and not approver:
        refuse("unapproved", f"{pid} is not approved: a second person must run `opslib approve {pid}` "
               "(the environment asks for approval; the requester cannot approve their own plan).", f"ask a second person to run: opslib approve {pid}")
    resources = [c.resource for c in changes]
    locks = guard.locks if action.takes_locks else None
    if locks is not None:
        try:
            locks.acquire(resources, pid)
        except ActionRefused as held:
            refuse("locked", held.message, held.fix)
    if approvals is not None and not approvals.use(pid, guard.run_id or "a run"):  # spent once the resources are ours
        if locks is not None:
            locks.release(resources)
        refuse("unapproved", f"{pid}'s approval was already used: one approval applies a plan once.",
               f"plan again (a dry run) and ask a second person to run: opslib approve {pid}")
    # the intent, journaled before anything is applied, with how to undo it: a run killed from here on still shows what it may
    # have changed, and `opslib undo` can offer it (inflight.recover closes it as `interrupted`)
    undo = [{"verb": a.verb, "args": a.args(), "region": getattr(guard.aws, "region", "")} for a in action.undo(before, changes)]
    guard.journal("action-start", action=name, changes=[vars(c) for c in changes], before=before, confirmed_by=confirmed_by, reference=guard.reference, plan_id=pid,
                  locked=locks is not None, approved_by=approver, undo=undo, undo_note="" if undo else action.undo_note,
                  **({"undoes": action.undoes} if action.undoes else {}))
    try:  # the lock is held until the state after has been read
        try:
            action.apply(guard.aws, changes)
        except Exception as exc:
            after = _safe_capture(action, guard.aws)
            out = Outcome(name, "failed", changes, before, after, f"{type(exc).__name__}: {exc}", error=exc, plan_id=pid)
            guard.journal("action", **out.to_dict(), dry_run=False, confirmed_by=confirmed_by, reference=guard.reference)
            return out
        after, verified, note = _until_verified(action, guard.aws, before)
    finally:
        if locks is not None:
            locks.release(resources)
    said = "verified" if verified else f"NOT verified within {action.verify_within_s} s: {note}"
    out = Outcome(name, "applied", changes, before, after, f"{plural(len(changes), 'change')} applied ({pid}" + (f", approved by {approver}" if approver else "") + f"); {said}.",
                  plan_id=pid, verified=verified, undo_note="" if undo else action.undo_note)
    guard.journal("action", **out.to_dict(), dry_run=False, confirmed_by=confirmed_by, reference=guard.reference, approved_by=approver, verify_note=note,
                  undo=undo, undo_note=out.undo_note, **({"undoes": action.undoes} if action.undoes else {}))
    return out


def load_all() -> dict[str, type]:
    """Every action class, registered by verb (their modules imported)."""
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
    return REGISTRY


def guard_for(aws, env_data: dict, journal, run_id: str, notebook: str, reference: str = "") -> Guard:
    """The guard an environment asks for: production or not, the reference, and (with `actions.table`)
    locks and, with `actions.approval`, approvals, both in the environment's home region."""
    from .. import approvals as _approvals
    from .. import locks as _locks
    from ..aws import caller
    from ..journal import who

    table, minutes, approval = _locks.settings(env_data)
    production = bool(env_data.get("production"))
    if not table:
        return Guard(aws, journal, production, reference, run_id=run_id)
    from ..environment import home_aws

    home = home_aws(aws, env_data)
    me = f"{who()['user']}@{who()['host']}"
    requester = caller(home) if approval else ""  # who AWS says is asking, not $USER
    return Guard(aws, journal, production, reference, _locks.Locks(home, table, me, run_id, minutes),
                 _approvals.Approvals(home, table, requester, notebook) if approval else None, run_id)


def _until_verified(action: Action, aws, before: dict) -> tuple[dict, bool, str]:
    """Read the state until the change shows (or `verify_within_s` passes): (state after, verified, why)."""
    import time

    deadline, said = time.monotonic() + action.verify_within_s, ""
    while True:
        after = action.capture(aws)
        verified, note = action.verify(aws, before, after)
        if verified or time.monotonic() >= deadline:
            if said:
                print(f"{action.describe()}: {'took effect' if verified else 'did not take effect in time'} ({note})", flush=True)
            return after, verified, note
        if note != said:  # progress, as it moves
            print(f"{action.describe()}: waiting up to {action.verify_within_s} s to take effect: {note}", flush=True)
            said = note
        time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))


def _safe_capture(action, aws) -> dict:
    try:
        return action.capture(aws)
    except Exception as exc:  # the failure is what matters; say why state is unknown
        return {"error": f"{type(exc).__name__}: {exc}"}


def confirm_button(action: Action, guard: Guard, planned: Outcome, after=None):
    """In JupyterLab: the plan, and a button that applies exactly that plan when clicked; `after(action,
    outcome)` then records what came of it, as a headless run does."""
    import ipywidgets as widgets
    from IPython.display import display

    button = widgets.Button(description=f"Apply {plural(len(planned.changes), 'change')}", button_style="danger", icon="check")
    output = widgets.Output()

    def on_click(_):
        button.disabled = True
        with output:
            try:
                outcome = execute(action, guard, confirm=planned.plan_id, confirmed_by="button")  # exactly the plan it sits under
                display(outcome)
                if after is not None:
                    after(action, outcome)
            except Exception as exc:  # a refusal: shown beside the button, journaled by execute
                print(f"Not applied: {exc}")

    button.on_click(on_click)
    box = widgets.VBox([button, output])
    box.outcome_output = output
    return box


def dumps(obj) -> str:
    return json.dumps(obj, default=str, sort_keys=True)


def interrupted(journal: list[dict]) -> list[dict]:
    """For a run killed without filing: each action it started to apply and never closed, as the record that
    closes it, `interrupted` (it may have applied; its undo restores the state before, a no-op where nothing changed)."""
    from datetime import datetime, timezone

    closed = {r.get("plan_id") for r in journal if r.get("kind") == "action" and not r.get("dry_run")}
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    out = []
    for r in journal:
        if r.get("kind") == "action-start" and r.get("plan_id") not in closed:
            common = {k: r[k] for k in ("run_id", "notebook", "env", "incident", "mode", "user", "host") if k in r}
            out.append({"kind": "action", "at": now, **common, "action": r.get("action"), "status": "interrupted", "changes": r.get("changes") or [], "before": r.get("before"),
                        "plan_id": r.get("plan_id"), "dry_run": False, "confirmed_by": r.get("confirmed_by"), "reference": r.get("reference"),
                        "approved_by": r.get("approved_by", ""), "undo": r.get("undo") or [], "undo_note": r.get("undo_note", ""),
                        "message": "the run was killed after this was confirmed and before it was filed: it may have applied",
                        **({"undoes": r["undoes"]} if r.get("undoes") else {})})
    return out
