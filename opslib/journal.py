"""The journal: what was checked and changed, also when a responder runs cells by hand."""

import getpass
import os
import socket
from datetime import datetime, timezone

from .ledger import Evidence
from .paths import runs_dir


def evidence() -> Evidence:
    """The runner passes OPSLIB_RUNS_DIR to the kernel; by hand, the project's runs/ (as for the CLI)."""
    return Evidence(runs_dir())


def who() -> dict:
    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers
        user = str(os.getuid())
    return {"user": user, "host": socket.gethostname()}


def write(kind: str, session: dict, key: bytes | None = None, **fields) -> dict:
    """Append to the journal (scrubbed of secrets by the chain; signed when the env has a key)."""
    record = {"kind": kind, "at": datetime.now(timezone.utc).isoformat(timespec="seconds"), **who(), **session, **fields}
    found = evidence()
    found.key = key
    return found.journal.append(record)
