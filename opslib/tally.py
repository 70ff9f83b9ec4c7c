"""Counting log lines by client at scale, in bounded memory (seed 002 "Scenario 2":
`grep "429" | awk '{print $1}' | sort | uniq -c`, without holding every line or every address).

Lines come in chunks; a line counts when its status field (the one after the quoted request, as
common log format has it) is the wanted one; the client is its first field. The counts stay exact
while there are at most `capacity` distinct clients.
Past that, the rarest are dropped (Misra-Gries): a count may then be low by at most `error`, and
no client with more than `error` lines is ever missed.
"""

from collections import Counter
from collections.abc import Iterable


class Tally:
    def __init__(self, capacity: int = 100_000):
        self.counts: Counter = Counter()
        self.capacity, self.error, self.total = capacity, 0, 0

    def add(self, counts: Counter) -> None:
        self.counts.update(counts)
        self.total += sum(counts.values())
        if len(self.counts) > self.capacity:
            cut = sorted(self.counts.values())[len(self.counts) - self.capacity // 2 - 1]  # keep about the top half
            self.counts = Counter({k: v - cut for k, v in self.counts.items() if v > cut})
            self.error += cut

    def top(self, n: int) -> list[tuple[str, int]]:
        return self.counts.most_common(n)


def by_client(chunks: Iterable[str | bytes], status: int = 429, capacity: int = 100_000) -> Tally:
    """Lines answered `status`, counted by client address; `chunks` are blocks of whole lines (text, or
    bytes as read from a file). Only the matching lines are looked at one by one: the search for the
    status field runs over a whole block at C speed, as grep does."""
    tally = Tally(capacity)
    for chunk in chunks:
        tally.add(_clients(chunk, f'" {int(status)} '))
    return tally


def _clients(chunk, field: str) -> Counter:
    """How many lines of `chunk` hold `field` (the request's closing quote, then the status:
    `1.2.3.4 - - [...] "GET / HTTP/1.1" 429 512 ...`), by their first field. The chunk is split at the
    field (C speed); each piece before a split ends with the start of a matching line."""
    binary = isinstance(chunk, bytes)
    needle, newline, space = (field.encode(), b"\n", b" ") if binary else (field, "\n", " ")
    found = Counter([p[(s := p.rfind(newline) + 1) : p.find(space, s)] for p in chunk.split(needle)[:-1]])
    return Counter({k.decode(errors="replace"): n for k, n in found.items()}) if binary else found
