"""The sandbox process: moto's server app behind a thin layer that adds what moto lacks.

The layer answers fault rules and Cost Explorer itself, serves the seeded web endpoints
(`/_sandbox/sites/<name>/health`), and takes control calls on `/_sandbox/...`. Everything else
goes to moto untouched. Run by `opslib sandbox up`; bound to 127.0.0.1 on a free port.
"""

import argparse
import gc
import io
import json
import os
import signal
import sys
import threading
import time
from datetime import date, datetime, timezone
from pathlib import Path

from . import ages, alarms, autostack_backend, backend_fixes, costs, databases, faults, iam_policies, pristine, rollouts, scenarios, signins, sites, startup, trail, traffic, transitions, world


READS_TRAFFIC = ("GetMetricData", "GetMetricStatistics", "DescribeAlarms", "DescribeAlarmsForMetric", "DescribeAlarmHistory", "ListMetrics")


class State:
    def __init__(self, url: str):
        self.url = url
        self.tls_url = ""
        self.front_door = None  # tls.FrontDoor: the load balancer's certificate, served on tls_url
        self.scenario = "healthy"
        self.faults = faults.Faults()
        self.sites: dict[str, tuple[int, dict]] = {}  # a scenario's fixed answers; other sites follow the world
        self.site_requests: dict = {}
        self.costs: dict = {}
        self.aws_calls = 0
        self.changed = True  # anything may have changed since the last full reset (a call that writes, a scenario, a fault)
        self.moved = False  # the world changed since the traffic model last wrote this minute
        self.reset_at = 0.0  # monotonic time of the last full reset
        self.lock = threading.Lock()
        self.alarm_lock = threading.RLock()  # one evaluation at a time (the clock's and those after PutMetricData)
        self.seeding = False
        self.pristine: pristine.Pristine | None = None  # the seeded world, which reset restores
        self.databases: databases.Databases | None = None  # real PostgreSQL and Redis behind seed 004's
        self._clients = None
        self.inbox: list[dict] = []  # what the local webhooks received (`opslib sandbox inbox`)
        self.webhooks_failing: set[str] = set()  # webhooks a scenario makes answer 500
        self.started = datetime.now(timezone.utc).isoformat(timespec="seconds")

    def evaluate_alarms(self) -> None:
        if self.seeding:  # alarms created before their data would flap through INSUFFICIENT_DATA
            return
        with self.alarm_lock:
            try:
                alarms.evaluate_all()
            except RuntimeError:  # an alarm or metric added mid-scan: the next evaluation sees it
                pass

    @property
    def clients(self):
        """This sandbox's boto3 clients, made once (a new set costs a session and its models)."""
        if self._clients is None:
            self._clients = world.clients(self.url)
        return self._clients

    def world_goes_on(self) -> None:
        """What a live account does by itself: the seeded metric series flow, the load balancer logs."""
        from .seeds import rms

        with self.alarm_lock:
            self.moved = False
            traffic.tick()
            alarms.keep_metrics_flowing()
            rms.alb_log_now(datetime.now(timezone.utc))

    def alarm_clock(self) -> None:
        """Every minute, as CloudWatch: keep the seeded series flowing, then evaluate every alarm."""
        while True:
            time.sleep(alarms.CLOCK_S)
            if self.seeding:
                continue
            try:
                self.world_goes_on()
                self.evaluate_alarms()
            except Exception as exc:  # the clock must outlive one bad tick; the log says why
                print(f"alarm clock: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)

    def status(self) -> dict:
        return {"url": self.url, "pid": os.getpid(), "scenario": self.scenario, "faults": self.faults.describe(),
                "aws_calls": self.aws_calls, "changed": self.changed, "started": self.started, "tls_url": self.tls_url,
                "tls_days": self.front_door.days() if self.front_door else None,
                "databases": self.databases.describe() if self.databases else {}}


class SandboxApp:
    def __init__(self, moto_app, state: State):
        self.moto = moto_app
        self.state = state
        self.conditional = threading.Lock()

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") == "PUT" and (environ.get("HTTP_IF_NONE_MATCH") or environ.get("HTTP_IF_MATCH")):
            with self.conditional:  # S3 decides a conditional write atomically; moto reads then writes, so two at once could both pass
                return list(self._answer(environ, start_response))
        return self._answer(environ, start_response)

    def _answer(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_sandbox/"):
            return self.control(environ, start_response, path[len("/_sandbox/"):])
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        call = faults.identify(environ, body)
        action = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        if call is None and action in signins.ACTIONS and "CognitoIdentityProvider" in environ.get("HTTP_X_AMZ_TARGET", ""):
            return self._signed_in(action, environ, body, start_response)  # unsigned, as AWS takes it: the pool's sign-in log records it
        writes = call is None or faults.writes(call, environ.get("REQUEST_METHOD", "GET"))
        if writes:
            self.state.changed = self.state.moved = True
        if call is not None:
            with self.state.lock:
                self.state.aws_calls += 1
            rule = self.state.faults.pick(call)
            if rule is not None:
                if rule.kind == "delay":
                    faults.apply_delay(rule)
                else:
                    status, headers, out = faults.error_response(call, rule.kind, rule.message)
                    if writes and not self.state.seeding:
                        self._record(call, environ, body, status, out)  # refused calls are in CloudTrail too, with their error
                    start_response(status, headers)
                    return [out]
            refused = iam_policies.refusal(call, environ, body) if not self.state.seeding else None
            if not refused and call.service == "sts" and call.action == "AssumeRole" and not self.state.seeding:
                refused = iam_policies.assume_refusal(body, environ)
            if refused:  # the signer is an IAM user whose policies do not allow it: refused, and in CloudTrail read or write
                status, headers, out = faults.error_response(call, "deny", refused)
                self._record(call, environ, body, status, out, read_only=not writes)
                start_response(status, headers)
                return [out]
            if call.service == "ce" and call.action == "GetCostAndUsage":
                status, headers, out = costs.respond(costs.with_world(self.state.costs, self.state.seeded), body)
                start_response(status, headers)
                return [out]
            if call.service == "iam" and call.action == "SimulatePrincipalPolicy":  # moto has none
                status, headers, out = iam_policies.simulate(body)
                start_response(status, headers)
                return [out]
            if call.service == "cloudtrail" and call.action == "LookupEvents":
                return _json(start_response, trail.lookup(call.region, body))
            if call.service == "monitoring" and call.action in READS_TRAFFIC and self.state.moved and not self.state.seeding:
                self.state.moved = False  # what is read follows what was done: this minute again from the world as it stands
                with self.state.alarm_lock:
                    traffic.tick()
                self.state.evaluate_alarms()
            if call.service == "monitoring" and call.action in ("PutMetricData", "PutMetricAlarm"):
                answer = list(self.moto(environ, start_response))
                if call.action == "PutMetricData" and not self.state.seeding:
                    traffic.yield_to_others()
                self.state.evaluate_alarms()  # whenever metrics arrive (and a new alarm at once), as well as on the clock
                return answer
            if (writes and not self.state.seeding) or call.service == "rds":
                return self._recorded(call, environ, body, start_response, record=writes and not self.state.seeding)
        return self.moto(environ, start_response)

    def _recorded(self, call, environ, body: bytes, start_response, record: bool = True):
        """moto's answer, then the call in CloudTrail once its outcome is known, and the real database following its
        RDS instance (after any RDS call: a reboot settles on the describe that sees it)."""
        seen = {}

        def keep(status, headers, exc_info=None):
            seen["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        answer = b"".join(self.moto(environ, keep))
        if record:
            self._record(call, environ, body, seen.get("status", "200"), answer)
        if call.service == "rds" and call.action in ("RestoreDBInstanceFromDBSnapshot", "RestoreDBInstanceToPointInTime", "DeleteDBInstance") \
                and self.state.databases and not self.state.seeding and seen.get("status", "200").startswith("200"):
            try:
                from urllib.parse import parse_qs

                params = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
                self.state.databases.follow_restores(world.backend("rds", call.region), call.action, params)
            except Exception as exc:  # the restore was answered; a copy that could not be made is the log's
                print(f"database copy after rds {call.action}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        if call.service == "rds" and self.state.databases and not self.state.seeding:
            try:
                db = world.backend("rds", world.IR["region"]).databases.get(world.IR["db"])
                self.state.databases.follow_rds(db.status if db else "deleted")
            except Exception as exc:  # the call was answered; a database that could not follow is the log's
                print(f"database after rds {call.action}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return [answer]

    def _signed_in(self, action: str, environ, body: bytes, start_response):
        seen = {}

        def keep(status, headers, exc_info=None):
            seen["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        answer = b"".join(self.moto(environ, keep))
        try:
            signins.record(action, body, seen.get("status", "200"), answer, environ.get("REMOTE_ADDR", "127.0.0.1"))
        except Exception as exc:  # the call was answered; a line that could not be written is the log's
            print(f"sign-in log after {action}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        return [answer]

    def _record(self, call, environ, body: bytes, status: str, answer: bytes, read_only: bool = False) -> None:
        try:
            trail.record(call, environ, body, status, answer, read_only)
        except Exception as exc:  # the call was answered; a record that could not be written is the log's
            print(f"cloudtrail after {call.service} {call.action}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)

    def control(self, environ, start_response, route: str):
        method = environ["REQUEST_METHOD"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        parts = route.strip("/").split("/")
        if parts[0] == "webhooks" and len(parts) == 2 and method == "POST":
            return self.webhook(start_response, parts[1], raw, environ)
        payload = json.loads(raw or b"null")
        try:
            if parts[0] == "autostack-backend":
                client = (environ.get("HTTP_X_FORWARDED_FOR") or environ.get("REMOTE_ADDR") or "127.0.0.1").split(",")[0].strip()
                code, body = autostack_backend.handle(method, "/" + "/".join(parts[1:]), client)
                return _json(start_response, body, code)
            if parts[0] == "sites" and len(parts) >= 2:
                code, body, delay = sites.answer(parts[1], self.state)
                time.sleep(delay)
                return _json(start_response, body, code)
            if parts[0] == "status":
                return _json(start_response, self.state.status())
            if parts[0] == "inbox":
                return _json(start_response, self.state.inbox)
            if method != "POST":
                return _json(start_response, {"error": "use POST"}, 405)
            if parts[0] == "reset":
                reset(self.state)
                return _json(start_response, self.state.status())
            self.state.changed = True  # a scenario or faults: reset must undo them
            if parts[0] == "scenario" and len(parts) == 2:
                apply_scenario(self.state, parts[1])
                return _json(start_response, self.state.status())
            if parts[0] == "elapse":
                elapse(self.state, int((payload or {}).get("minutes", 0)))
                return _json(start_response, self.state.status())
            if parts[0] == "faults":
                self.state.faults.set(payload or [])
                return _json(start_response, self.state.status())
        except KeyError as exc:
            return _json(start_response, {"error": f"unknown: {exc}"}, 404)
        except Exception as exc:  # the control client shows this message
            return _json(start_response, {"error": f"{type(exc).__name__}: {exc}"}, 500)
        return _json(start_response, {"error": f"no route {route}"}, 404)

    def webhook(self, start_response, name: str, raw: bytes, environ):
        """A local Slack incoming webhook (or the SNS subscriber that relays to one): keeps what arrives."""
        self.state.changed = True
        with self.state.lock:
            self.state.inbox.append({"webhook": name, "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                                     "content_type": environ.get("CONTENT_TYPE", ""), "body": raw.decode("utf-8", "replace"),
                                     "answered": 500 if name in self.state.webhooks_failing else 200})
        if name in self.state.webhooks_failing:
            return _json(start_response, {"error": "internal_error"}, 500)
        return _json(start_response, {"ok": True})


def _json(start_response, body, code: int = 200):
    out = json.dumps(body, default=str).encode()
    reasons = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 500: "Internal Server Error", 502: "Bad Gateway",
               503: "Service Unavailable", 504: "Gateway Timeout"}
    start_response(f"{code} {reasons.get(code, 'Status')}", [("Content-Type", "application/json"), ("Content-Length", str(len(out)))])
    return [out]


def _post(url: str) -> None:
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=30).read()


QUICK_RESET_WITHIN_S = 600  # a world nobody changed since a full reset this recent is still that world


def reset(state: State) -> None:
    """Back to a freshly seeded, healthy world with no faults. When nothing was written, no scenario
    or fault applied and no webhook called since a recent full reset, the world is already that one:
    only the databases' statistics and cache (which no AWS call shows) are put back."""
    if not state.changed and time.monotonic() - state.reset_at < QUICK_RESET_WITHIN_S:
        state.site_requests = {}
        if state.databases:
            state.databases.reset()
        return
    state.seeding = True  # no evaluation, no clock tick, while the world is rebuilt (its calls come back through this server)
    try:
        _reseed(state)
    finally:
        state.seeding = False
    state.evaluate_alarms()  # states from the seeded data, as CloudWatch would have them
    state.scenario = "healthy"
    state.changed, state.reset_at = False, time.monotonic()


def _reseed(state: State) -> None:
    state.faults.set([])
    trail.reset()
    state.webhooks_failing = set()
    state.sites = {}  # answers scenarios set; the rest follow the world (sites.answer)
    autostack_backend.reset()
    state.site_requests = {}
    state.costs = costs.generate(date.today())
    if state.pristine and not state.pristine.stale():
        pristine.restore(state.pristine)
    else:
        _post(f"{state.url}/moto-api/reset")
        _post(f"{state.url}/moto-api/seed?a=42")
        world.seed(state.clients)
        rollouts.settle_all(world.backend("ecs", world.RMS["region"]))  # the seeded services run steady, their tasks listed
        _wire_local_endpoints(state)
        backend_fixes.forget_changes()  # the seeded items were there before any restorable window
        if state.databases:
            state.databases.reset()  # a warm cache before the traffic reads it
        traffic.elapse(60)  # the last hour's traffic through the seeded world
        state.pristine = pristine.take()
    ages.apply()  # snapshots, releases and secrets as old as a live account's
    state.seeded = costs.seeded_resources()  # their cost is the seeded history's; what is made later costs on top
    scenarios.overnight_flaps()
    if state.databases:
        state.databases.reset()  # statistics and a warm cache first: this minute's traffic reads the cache
    state.world_goes_on()
    state.inbox = []  # the subscription's confirmation included


def _wire_local_endpoints(state: State) -> None:
    """Where the world points at this process: seed 004's database and cache (started beside the
    seeding) and seed 001's alarm topic and the RMS team's, whose Slack relay is a local webhook."""
    if state.databases:
        state.databases.publish(state.clients, world.IR["region"])
    for region, topic in ((world.EC2M["region"], "ec2-manager-notifications-production"), (world.RMS["region"], world.RMS["topic"])):
        state.clients("sns", region).subscribe(TopicArn=f"arn:aws:sns:{region}:{world.ACCOUNT}:{topic}", Protocol="http",
                                               Endpoint=f"{state.url}/_sandbox/webhooks/slack-relay")


ELAPSE_MAX_MIN = 180


def elapse(state: State, minutes: int) -> None:
    """The world as it stands has stood for `minutes` already: its traffic of those minutes follows it, then CloudWatch evaluates."""
    if not 0 <= minutes <= ELAPSE_MAX_MIN:
        raise ValueError(f"minutes must be 0 to {ELAPSE_MAX_MIN}")
    now = datetime.now(timezone.utc)  # one edge for all three: the traffic's rewrite takes seconds, and may cross a minute
    with state.alarm_lock:
        if minutes:
            transitions.settle_all()  # a reboot or resize takes a few paces: long done after minutes
        traffic.elapse(minutes, now)
        trail.backdate(minutes, now)
        rollouts.backdate_task_logs(minutes, now)
    state.evaluate_alarms()


def apply_scenario(state: State, name: str) -> None:
    sc = scenarios.REGISTRY[name]
    if name == "healthy" or state.scenario != "healthy":
        reset(state)
    sc.apply(state, state.clients)  # its metric data arrives through this server and is evaluated there
    state.evaluate_alarms()  # and what the traffic model wrote for it
    state.scenario = name


def _serve_tls(state: State, folder: Path) -> None:
    """RMS's API front door over HTTPS (GET /health), presenting the certificate its load balancer's listener holds in ACM."""
    from .tls import FrontDoor

    (folder / "tls").mkdir(parents=True, exist_ok=True)
    state.front_door = FrontDoor(folder / "tls")

    def app(environ, start_response):
        return _json(start_response, {"status": "healthy", "version": "2.14.0", "timestamp": datetime.now(timezone.utc).isoformat(timespec="seconds")})

    server = _bind(folder / "last-tls-port", app, ssl_context=state.front_door.default)
    state.tls_url = f"https://127.0.0.1:{server.port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()


def _free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: a closed sandbox's TIME_WAIT is no obstacle
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _bind(remembered: Path, app, **kwargs):
    """A server on the port this sandbox had last time when it is free, else on any free port: a
    restarted sandbox keeps its URLs, so a JupyterLab kernel, an exported AWS_ENDPOINT_URL and the
    health URLs in parameters/sandbox.yaml reach it without a restart."""
    from werkzeug.serving import make_server

    try:
        port = int(remembered.read_text())
    except (OSError, ValueError):
        port = 0
    if port and not _free(port):  # taken by another program meanwhile (werkzeug exits on a failed bind)
        port = 0
    server = make_server("127.0.0.1", port, app, threaded=True, **kwargs)
    remembered.write_text(str(server.port))
    return server


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--state-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    startup.prepare()  # before moto is imported
    dbs = databases.Databases(Path(args.state_file).parent)
    dbs.start_in_background()  # their own processes: beside moto's imports and the seeding
    gc.disable()  # start-up makes a few hundred thousand objects and frees almost none

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    backend_fixes.apply()
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request drowns the errors
    state = State("")
    app = SandboxApp(DomainDispatcherApplication(create_backend_app), state)
    state_file = Path(args.state_file)
    server = make_server("127.0.0.1", args.port, app, threaded=True) if args.port else _bind(state_file.parent / "last-port", app)
    state.url = f"http://127.0.0.1:{server.port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    _serve_tls(state, state_file.parent)
    state.databases = dbs

    def stop(*_):
        state.databases.stop()
        server.shutdown()
        state_file.unlink(missing_ok=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    reset(state)  # seeds the world and keeps it: every later reset restores this one, ids and all
    gc.freeze()  # what start-up made lives as long as the process: later collections need not walk it
    gc.enable()
    threading.Thread(target=state.alarm_clock, daemon=True).start()
    tmp = state_file.with_suffix(".tmp")
    tmp.write_text(json.dumps({"url": state.url, "port": server.port, "pid": os.getpid(), "started": state.started, "tls_url": state.tls_url}))
    tmp.replace(state_file)
    print(f"sandbox ready at {state.url}", flush=True)
    signal.pause()
    return 0


if __name__ == "__main__":
    sys.exit(main())
