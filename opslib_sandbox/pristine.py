"""The freshly seeded world, kept in memory so `reset` restores it in a fraction of a second instead
of seeding again over HTTP (seconds), with every time in it moved on by the time since it was taken:
the last hour of metrics and logs is still the last hour, an alarm that flapped six hours ago still
did, and every id is the one the seeding gave.

moto keeps each service's state in plain objects (one per account and region); they are pickled
together, so references between services survive. What pickle cannot copy is rebuilt: locks anew,
private keys and certificates from their PEM, weak maps from their entries, a default made by a lambda from a
copy of what the lambda makes, a dict whose item assignment means more (S3's versions) entry by entry.
"""

import copy
import copyreg
import functools
import io
import pickle
import re
import threading
import types
import weakref
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

STALE_AFTER = timedelta(hours=12)  # past this, seed anew: times the shift cannot reach (ISO strings in items) would show their age
_LOCK_TYPES = (type(threading.Lock()), type(threading.RLock()))
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?")
_ACCESS = re.compile(r"\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2}")  # common log format, as the access logs have it
_EPOCH = re.compile(r"^(2 \d{12} eni-\S+ \S+ \S+ \d+ \d+ \d+ \d+ \d+ )(\d{10}) (\d{10})")  # VPC flow log records: start and end


@dataclass
class Pristine:
    data: bytes
    taken: datetime
    dicts: list  # moto's live BackendDicts, in the order the pickle refers to them
    rng: tuple  # moto's id generator, as it was after seeding

    def stale(self, now: datetime | None = None) -> bool:
        return (now or _now()) - self.taken > STALE_AFTER


def _now() -> datetime:
    return datetime.now(timezone.utc)


def take() -> Pristine:
    from moto.core.base_backend import BackendDict
    from moto.moto_api._internal import mock_random

    dicts = list(BackendDict._instances)
    _share_metric_fields(dicts)
    buf = io.BytesIO()
    _Pickler(buf, dicts).dump([{account: dict(regions) for account, regions in bd.items()} for bd in dicts])
    return Pristine(buf.getvalue(), _now(), dicts, mock_random.getstate())


def _share_metric_fields(dicts: list) -> None:
    """One dimensions list and one name string per series, not one per datapoint: the seeded week
    is some 16,000 datapoints, and restoring each one's own copies was most of a reset."""
    shared = {}
    for bd in dicts:
        if bd.service_name != "cloudwatch":
            continue
        for regions in bd.values():
            for backend in regions.values():
                for datum in backend.metric_data:
                    dims = tuple((d.name, d.value) for d in datum.dimensions)
                    key = (datum.namespace, datum.name, dims, datum.unit)
                    first = shared.setdefault(key, datum)
                    datum.namespace, datum.name, datum.dimensions, datum.unit = first.namespace, first.name, first.dimensions, first.unit


def restore(pristine: Pristine) -> None:
    """Every service back to the pristine state, its times moved on to now."""
    from moto.core.base_backend import BackendDict
    from moto.moto_api._internal import mock_random

    delta = _now() - pristine.taken
    _LIVE[:] = pristine.dicts
    saved = _Unpickler(io.BytesIO(pristine.data), delta).load()
    for bd in BackendDict._instances:  # services first used since: as they were, never called
        if bd not in pristine.dicts:
            for regions in bd.values():
                dict.clear(regions)
    for bd, accounts in zip(pristine.dicts, saved):
        for account, regions in accounts.items():
            live = bd[account]  # registers the service with moto again (its reset forgets it)
            dict.clear(live)
            dict.update(live, regions)
    mock_random.setstate(pristine.rng)
    _shift_logs(delta)


def _shift_logs(delta: timedelta) -> None:
    """Log events keep epoch milliseconds, not datetimes; their messages carry their own time."""
    from moto.core.base_backend import BackendDict

    ms = int(delta.total_seconds() * 1000)
    if not ms:
        return
    for bd in BackendDict._instances:
        if bd.service_name != "logs":
            continue
        for regions in bd.values():
            for backend in regions.values():
                for group in backend.groups.values():
                    for stream in group.streams.values():
                        for event in stream.events:
                            event.timestamp += ms
                            event.ingestion_time += ms
                            event.message = _shift_text(event.message, delta)
                        stream._update()


def _shift_text(message: str, delta: timedelta) -> str:
    """Every time a line carries in its text: ISO times (application lines, CloudTrail's eventTime),
    common-log-format times (access logs), epoch seconds (flow logs' start and end)."""
    def iso(m):
        when = datetime.fromisoformat(m[0]) + delta
        digits = len(m[0].partition(".")[2])
        return when.isoformat(timespec={0: "seconds", 3: "milliseconds"}.get(digits, "microseconds"))

    message = _ISO.sub(iso, message)
    message = _ACCESS.sub(lambda m: (datetime.strptime(m[0], "%d/%b/%Y:%H:%M:%S") + delta).strftime("%d/%b/%Y:%H:%M:%S"), message)
    seconds = int(delta.total_seconds())
    return _EPOCH.sub(lambda m: f"{m[1]}{int(m[2]) + seconds} {int(m[3]) + seconds}", message)


_LIVE: list = []  # moto's live BackendDicts while a pristine copy is loaded


def _live(service: int, account: str | None = None):
    return _LIVE[service] if account is None else _LIVE[service][account]


def _from_pem(kind: str, pem: bytes):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    return load_pem_private_key(pem, password=None) if kind == "key" else x509.load_pem_x509_certificate(pem)


def _defaults(example, entries: dict) -> defaultdict:
    return defaultdict(functools.partial(copy.deepcopy, example), entries)


def _raw_entries(obj: dict, state: tuple) -> None:
    attributes, entries = state
    obj.__dict__.update(attributes)
    dict.update(obj, entries)


def _raw_defaults(obj: defaultdict, state: tuple) -> None:
    factory, attributes, entries = state
    obj.default_factory = factory
    obj.__dict__.update(attributes)
    dict.update(obj, entries)


def _weak_values(entries: dict) -> weakref.WeakValueDictionary:
    return weakref.WeakValueDictionary(entries)


class _Pickler(pickle.Pickler):
    def __init__(self, buf, dicts: list):
        super().__init__(buf, protocol=pickle.HIGHEST_PROTOCOL)
        self.index = {id(bd): i for i, bd in enumerate(dicts)}
        self.accounts = {id(regions): (i, account) for i, bd in enumerate(dicts) for account, regions in bd.items()}

    def reducer_override(self, obj):  # not called for str, int and the like (a persistent_id would be: half a million calls)
        if id(obj) in self.index:  # moto's registries stay the live ones
            return _live, (self.index[id(obj)],)
        if id(obj) in self.accounts:
            return _live, self.accounts[id(obj)]
        if isinstance(obj, _LOCK_TYPES):
            return type(obj), ()
        if isinstance(obj, defaultdict) and "<" in getattr(obj.default_factory, "__qualname__", ""):  # a lambda: what it makes, copied anew
            return _defaults, (obj.default_factory(), dict(obj))
        if isinstance(obj, defaultdict) and type(obj) is not defaultdict:  # a subclass whose __init__ wants more (SSM's ParameterDict)
            return copyreg.__newobj__, (type(obj),), (obj.default_factory, getattr(obj, "__dict__", {}), dict(dict.items(obj))), None, None, _raw_defaults
        if isinstance(obj, dict) and isinstance(type(obj).__setitem__, types.FunctionType):  # written in Python, unlike OrderedDict's
            return copyreg.__newobj__, (type(obj),), (getattr(obj, "__dict__", {}), dict(dict.items(obj))), None, None, _raw_entries
        if isinstance(obj, weakref.WeakValueDictionary):
            return _weak_values, (dict(obj),)
        if type(obj).__module__.startswith("cryptography"):
            from cryptography.hazmat.primitives import serialization as s

            if hasattr(obj, "private_bytes"):
                return _from_pem, ("key", obj.private_bytes(s.Encoding.PEM, s.PrivateFormat.PKCS8, s.NoEncryption()))
            if hasattr(obj, "tbs_certificate_bytes"):
                return _from_pem, ("certificate", obj.public_bytes(s.Encoding.PEM))
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def __init__(self, buf, delta: timedelta):
        super().__init__(buf)
        self.delta = delta

    def find_class(self, module, name):
        if (module, name) == ("datetime", "datetime"):
            delta = self.delta
            return lambda *state: datetime(*state) + delta
        return super().find_class(module, name)
