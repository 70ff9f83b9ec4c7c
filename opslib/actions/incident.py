"""Declaring and updating an incident: the record and its notifications, as guarded actions.

The plan shows the record it would write and every message it would send, whole; nothing is
written or sent without confirmation. A notification that cannot be delivered does not undo the
record: the record says what was not sent and why, and the run shows it as an ERROR row.
"""

from .. import advice, incidents, messages
from ..checks import ERROR, OK, Check
from ..services import dynamodb, notify
from ..units import plural
from . import Action, Change


class _Notifying(Action):
    permissions = ("sns:Publish", "dynamodb:PutItem")
    max_resources = 3
    takes_locks = False  # a record and its notices, not a resource: two declare at once and each claims its own id

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        """The record is written (a notice not delivered is its own ERROR row, not a failed change)."""
        return (self.applied, "recorded" if self.applied else "not recorded")
    needs_approval = False  # nor does telling people wait for a second person

    def __init__(self, rb, channels: list):
        self.rb = rb
        self.channels = list(channels)
        self.deliveries: list[notify.Delivery] = []
        self.incident: incidents.Incident | None = None
        self.applied = False

    @property
    def evidence(self):
        return self.rb.evidence

    def message(self) -> str:
        raise NotImplementedError

    @property
    def table(self) -> str:
        return incidents.table_of(self.rb.env_data)

    def _home(self):
        """The incidents table is the environment's, in its home region, like the actions table."""
        from ..environment import home_aws

        return home_aws(self.rb.aws, self.rb.env_data)

    def _claim(self, incident_id: str, record: dict) -> bool:
        fields = {k: record.get(k) for k in ("severity", "service", "status", "commander", "impact", "summary", "env")} | {"started": record["at"]}
        return dynamodb.claim(self._home(), self.table, "incident_id", incident_id, fields)

    def _applied(self) -> None:
        """The record as it now stands (read back once), and the table's copy of it when the environment file names one."""
        self.applied = True
        self.incident = incidents.all_incidents(self.evidence)[self.incident.id]
        if self.table:
            dynamodb.put(self._home(), self.table, "incident_id", self.incident.id, incidents.state(self.incident))

    def _send(self, text: str, about: str) -> None:
        for channel in self.channels:
            delivery = notify.send(self.rb.aws, channel, text, messages.subject(text))
            self.deliveries.append(delivery)
            incidents.append(self.evidence, incidents.NOTIFICATION, self.incident.id, self.rb.record_session, about=about, channel=channel.name,
                             status="sent" if delivery.sent else "not sent", attempts=delivery.attempts, reason=delivery.reason, message=text)

    def _message_changes(self, text: str) -> list[Change]:
        first, lines = text.splitlines()[0], len(text.splitlines())
        return [Change(c.name, "message", None, f"{first} ({lines} lines: the whole message is in the run's notebook)") for c in self.channels]

    def results(self) -> list[Check]:
        """One row for the record and one per channel, once applied (none in a dry run)."""
        if not self.applied:
            return []
        inc = self.incident
        rows = [Check("incident_record", OK, inc.id, inc.status, "-", self.recorded(inc))]
        for d in self.deliveries:
            if d.sent:
                rows.append(Check("incident_notification", OK, d.channel, "sent", "delivered", f"{d.channel}: sent ({plural(d.attempts, 'attempt')})."))
            else:
                rows.append(Check("incident_notification", ERROR, d.channel, "not sent", "delivered",
                                  f"{d.channel}: NOT sent: {d.reason}. {inc.id} records it as not sent; tell the channel by hand."))
        return rows

    def recorded(self, inc) -> str:
        raise NotImplementedError

    def next_steps(self) -> str:
        return advice.incident(self.incident)


class DeclareIncident(_Notifying):
    """Open an incident record (next id of the day) and send seed 001's initial notification."""

    verb = "declare-incident"
    needs_reference = False  # declaring is how a reference comes to exist

    def __init__(self, rb, level, service: str, impact: str, summary: str, commander: str, current_actions: str = "", channels=()):
        super().__init__(rb, channels)
        from ..journal import who

        self.level, self.service, self.current_actions = level, service, current_actions
        self.impact = impact or level.why[:1].upper() + level.why[1:]  # at 3 a.m. the answers are enough to declare
        self.summary = summary or "to follow"
        self.commander = commander or f"@{who()['user']}"

    def describe(self) -> str:
        return f"declare-incident {self.level.name} {self.service}"

    def shape(self) -> dict:
        """What people chose of the record and its notice (its id and times are the day's and the clock's)."""
        return {"level": self.level.name, "service": self.service, "impact": self.impact, "summary": self.summary, "commander": self.commander,
                "current_actions": self.current_actions, "channels": [c.name for c in self.channels]}

    def preview(self) -> incidents.Incident:
        """The incident as it would be declared now (its id is the day's next; another declare may take it first)."""
        at = incidents.now()
        return incidents.Incident(incidents.next_id(self.evidence.incidents.records(), at), self.level.name, self.service, self.impact,
                                  self.summary, self.commander, at, "Investigating", self.level.update_minutes, self.level.scale, env=self.rb.env)

    def message(self, inc: incidents.Incident | None = None) -> str:
        return messages.declared(inc or self.incident or self.preview(), self.level, self.current_actions)

    def next_steps(self) -> str:
        return advice.incident(self.incident or self.preview())

    def capture(self, aws) -> dict:
        return {"incident": self.incident.id if self.incident else None, "status": self.incident.status if self.incident else None}

    def plan(self, before: dict) -> list[Change]:
        inc = self.preview()
        return [Change("incident record", "status", None, f"{inc.id} {inc.severity} {inc.status}")] + self._message_changes(self.message(inc))

    def apply(self, aws, changes) -> None:
        claim = self._claim if self.table else None
        self.incident = incidents.declare(self.evidence, self.rb.record_session, self.level, self.service, self.impact, self.summary, self.commander, claim=claim)
        inc = self.incident  # the id the record took: another declare may have taken the previewed one first
        changes[0] = Change("incident record", "status", None, f"{inc.id} {inc.severity} {inc.status}")
        self._send(self.message(), "declared")
        self._applied()

    def recorded(self, inc) -> str:
        return f"{inc.id} declared: {inc.severity} {inc.service}, commander {inc.commander}, war room {inc.channel}."


class UpdateIncident(_Notifying):
    """Post seed 001's status update, or resolve: the resolution notice, and the record closed with its duration."""

    verb = "update-incident"

    def __init__(self, rb, incident_id: str, status: str = "", root_cause: str = "", actions_taken=(), eta: str = "",
                 resolve: bool = False, resolution: str = "", impact: str = "", postmortem_at: str = "", channels=()):
        super().__init__(rb, channels)
        self.incident = incidents.find(self.evidence, incident_id, open_only=True)
        self.at = incidents.now()
        # a resolution notice says the root cause an update recorded, not "under investigation"
        self.status, self.root_cause = status or ("Resolved" if resolve else ""), root_cause or (self.incident.root_cause if resolve else "")
        self.actions_taken, self.eta = list(actions_taken), eta
        self.resolve, self.resolution, self.impact = resolve, resolution, impact
        self.postmortem_at = postmortem_at or messages.postmortem_slot(self.at)

    def describe(self) -> str:
        return f"{'resolve' if self.resolve else 'update'}-incident {self.incident.id}"

    def shape(self) -> dict:
        """Every word people chose for the record and its notice (the times are the clock's)."""
        return {"status": self.status, "root_cause": self.root_cause, "actions_taken": self.actions_taken, "eta": self.eta, "resolve": self.resolve,
                "resolution": self.resolution, "impact": self.impact, "postmortem_at": self.postmortem_at, "channels": [c.name for c in self.channels]}

    def message(self) -> str:
        if self.resolve:
            return messages.resolved(self.incident, self.at, self.root_cause, self.resolution, self.impact, self.postmortem_at)
        return messages.update(self.incident, self.at, self.status, self.root_cause, self.actions_taken, self.eta)

    def capture(self, aws) -> dict:
        inc = incidents.all_incidents(self.evidence)[self.incident.id]
        return {"incident": inc.id, "status": inc.status, "updates": len(inc.updates)}

    def plan(self, before: dict) -> list[Change]:
        return [Change(self.incident.id, "status", before["status"], self.status)] + self._message_changes(self.message())

    def apply(self, aws, changes) -> None:
        self.at = incidents.now()
        session = self.rb.record_session
        incidents.find(self.evidence, self.incident.id, open_only=True)  # not resolved by someone else since the plan
        if self.resolve:
            incidents.append(self.evidence, incidents.RESOLVED, self.incident.id, session, root_cause=self.root_cause, resolution=self.resolution,
                             impact=self.impact, postmortem_at=self.postmortem_at, duration_s=(self.at - self.incident.started).total_seconds())
        else:
            incidents.append(self.evidence, incidents.UPDATE, self.incident.id, session, status=self.status, root_cause=self.root_cause,
                             actions_taken=self.actions_taken, eta=self.eta)
        self._send(self.message(), "resolved" if self.resolve else "update")
        self._applied()

    def recorded(self, inc) -> str:
        if inc.is_open:
            return f"{inc.id} updated: {inc.status} ({plural(len(inc.updates), 'update')} so far)."
        return f"{inc.id} resolved after {messages.took(inc)}; post-mortem: `opslib run postmortem --incident {inc.id}`."
