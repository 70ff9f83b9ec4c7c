"""Counting log lines by client at scale, in bounded memory (seed 002 "Scenario 2":
`grep "429" | awk '{print $1}' | sort | uniq -c`, without holding every line or every address).

Lines come in chunks; a line counts when its status field (the one after the quoted request, as
common log format has it) is the wanted one; the client is its first field. The counts stay exact
while there are at most `capacity` distinct clients.
Past that, the rarest are dropped (Misra-Gries): a count may then be low by at most `error`, and
no client with more than `error` lines is ever missed.
"""

import queue
import threading
from collections import Counter
from collections.abc import Iterable, Iterator


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
    """Lines answered `status`, counted by client address. `chunks` are the text (or bytes, as read
    from a file) in pieces of any size, lines ending in a newline; a line cut between two pieces is
    joined (only that line is copied). The search for the status field runs over a whole piece at
    C speed, as grep does."""
    tally, field, tail = Tally(capacity), f'" {int(status)} ', None
    for chunk in chunks:
        newline = b"\n" if isinstance(chunk, bytes) else "\n"
        first, last = chunk.find(newline), chunk.rfind(newline)
        if first < 0:
            tail = chunk if tail is None else tail + chunk
            continue
        if tail is not None:
            tally.add(_clients(tail + chunk[: first + 1], field))
            tally.add(_clients(chunk, field, first + 1, last + 1))
        else:
            tally.add(_clients(chunk, field, 0, last + 1))
        tail = chunk[last + 1 :] or None
    if tail:
        tally.add(_clients(tail, field))
    return tally


def prefetched(chunks: Iterable, depth: int = 2) -> Iterator:
    """`chunks`, produced on a thread while the caller works on the previous ones: a file read or an
    HTTP page waits on I/O (no lock held) while counting runs, as grep and awk overlap in a pipe.
    At most `depth` chunks wait, so memory stays bounded; an error in the producer is raised here."""
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    done = object()

    def produce():
        try:
            for chunk in chunks:
                waiting.put(chunk)
            waiting.put(done)
        except BaseException as exc:  # handed to the consumer, raised where it reads
            waiting.put(exc)

    threading.Thread(target=produce, daemon=True).start()
    while (item := waiting.get()) is not done:
        if isinstance(item, BaseException):
            raise item
        yield item


def _clients(chunk, field: str, begin: int = 0, end: int | None = None) -> Counter:
    """How many lines of `chunk[begin:end]` hold `field` (the request's closing quote, then the status:
    `1.2.3.4 - - [...] "GET / HTTP/1.1" 429 512 ...`), by their first field.

    Per match only two searches run in Python's loop (the field, then back to its line's start);
    the first 16 characters of each such line are counted as they are, and split into the address
    afterwards, once per distinct prefix. A longer first field (IPv6, a host name) is read whole."""
    binary = isinstance(chunk, bytes)
    needle, newline, space = (field.encode(), b"\n", b" ") if binary else (field, "\n", " ")
    end = len(chunk) if end is None else end
    find, rfind, starts, step = chunk.find, chunk.rfind, [], len(needle)
    append = starts.append
    at = find(needle, begin, end)
    while at >= 0:
        append(rfind(newline, begin, at) + 1 or begin)
        at = find(needle, at + step, end)
    out: Counter = Counter()
    long = set()
    for prefix, n in Counter([chunk[s : s + 16] for s in starts]).items():
        if space in prefix:
            out[prefix[: prefix.find(space)]] += n
        else:
            long.add(prefix)
    if long:
        out.update(chunk[s : find(space, s)] for s in starts if chunk[s : s + 16] in long)
    return Counter({k.decode(errors="replace"): n for k, n in out.items()}) if binary else out
