"""The few errors opslib raises on purpose; each one names its fix."""

import difflib


class OpsError(Exception):
    """An error a user can act on: `fix` says how."""

    exit_code = 3

    def __init__(self, message: str, fix: str = ""):
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}: {self.fix}" if self.fix else self.message


class BadInput(OpsError):
    """Refused before anything starts: wrong name, type or environment."""

    exit_code = 2


class ActionRefused(OpsError):
    """A guarded action was asked to do something its guards do not allow; `outcome` is the plan it
    made (shown to the responder: a stale plan's replacement)."""

    def __init__(self, message: str, fix: str = "", outcome=None):
        super().__init__(message, fix)
        self.outcome = outcome


def did_you_mean(name: str, choices) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else ""
