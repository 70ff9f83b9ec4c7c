"""Signals during a run: noted and obeyed at a safe point, never raised into whatever code runs.

Raising from a signal handler lands the exception wherever the main thread happens to be (inside
an import, an event loop, a `finally`), where it can be swallowed or leave a half-done state. So
the runner's main thread only waits; a signal is recorded here and `on_stop` (which kills the
kernel) makes the waiting end. Once filing starts, signals are only noted.
"""

import signal

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Watch:
    """What one run makes of the signals: obeyed while it runs (`on_stop`), noted once it files."""

    def __init__(self):
        self.received: list[str] = []
        self.during_filing: list[str] = []
        self.filing = False
        self.on_stop = None

    @property
    def stopped(self) -> bool:
        return bool(self.received)

    def note(self, name: str) -> None:
        if self.filing:
            self.during_filing.append(name)
            return
        self.received.append(name)
        if self.on_stop is not None:
            self.on_stop()


class Signals(Watch):
    """Installed for a command's life. One run watches through it directly; runs of a batch each take
    a `watch()` of their own, and a signal reaches every one of them (and no further run starts)."""

    def __init__(self):
        super().__init__()
        self.then_ignore = False  # on leaving: ignore further signals instead of restoring (the run is filed; exit quietly)
        self._previous = {}
        self._watches: list[Watch] = []

    def watch(self) -> Watch:
        found = Watch()
        self._watches.append(found)
        return found

    def _handle(self, signum, frame) -> None:
        name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
        if not self._watches:
            self.note(name)
            return
        self.received.append(name)  # the batch starts nothing more
        for found in self._watches:
            found.note(name)

    def __enter__(self) -> "Signals":
        for sig in HANDLED:
            self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, signal.SIG_IGN if self.then_ignore else previous)


def describe(names: list[str]) -> str:
    """`SIGTERM, then Ctrl-C (3 times)`: what arrived, in order, without repeating itself."""
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    return ", then ".join(name + (f" ({n} times)" if n > 1 else "") for name, n in seen.items())
