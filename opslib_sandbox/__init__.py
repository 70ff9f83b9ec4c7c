"""The sandbox, from the outside: start it once, find it, drive it.

`up()` starts one moto-backed server per state folder (`OPSLIB_SANDBOX_DIR`, default
~/.cache/opslib/sandbox) or reuses the one running; `down()` stops it and leaves nothing behind.
"""

import fcntl
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from opslib.errors import OpsError

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-west-2"}


def state_dir() -> Path:
    return Path(os.environ.get("OPSLIB_SANDBOX_DIR") or Path.home() / ".cache" / "opslib" / "sandbox")


def _state_file() -> Path:
    return state_dir() / "server.json"


def _read_state() -> dict | None:
    try:
        data = json.loads(_state_file().read_text())
        os.kill(data["pid"], 0)
        return data
    except (OSError, ValueError, KeyError):
        return None


def _get(url: str, timeout: float = 5.0) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def control(route: str, payload=None, timeout: float = 120.0) -> dict:
    """POST to the running sandbox's control route (reset, scenario/NAME, faults)."""
    data = json.dumps(payload).encode() if payload is not None else b""
    req = urllib.request.Request(f"{url()}/_sandbox/{route}", data=data, method="POST", headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("error", str(exc))
        raise OpsError(f"sandbox refused {route}: {detail}", "see `opslib sandbox scenarios` for the names") from exc


def url() -> str:
    data = _read_state()
    if not data:
        raise OpsError("the sandbox is not running", "start it with `opslib sandbox up`")
    return data["url"]


def status() -> dict | None:
    data = _read_state()
    if not data:
        return None
    try:
        return _get(f"{data['url']}/_sandbox/status")
    except OSError:
        return None


def up(timeout: float = 90.0) -> str:
    """The URL of the running sandbox, starting it first if needed (safe to call concurrently)."""
    folder = state_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        running = status()
        if running:
            return running["url"]
        _state_file().unlink(missing_ok=True)
        log = open(folder / "server.log", "ab")
        env = dict(os.environ, **FAKE_CREDENTIALS)
        env.pop("AWS_ENDPOINT_URL", None)
        proc = subprocess.Popen(
            [sys.executable, "-m", "opslib_sandbox.server", "--state-file", str(_state_file())],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True, env=env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise OpsError(f"the sandbox exited with code {proc.returncode}", f"see {folder / 'server.log'}")
            if _read_state():
                return url()
            time.sleep(0.1)
        proc.kill()
        raise OpsError(f"the sandbox did not start within {timeout:.0f} s", f"see {folder / 'server.log'}")


def down(timeout: float = 10.0) -> bool:
    """Stop the sandbox; True if one was running."""
    data = _read_state()
    if not data:
        _state_file().unlink(missing_ok=True)
        return False
    os.kill(data["pid"], signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if os.waitpid(data["pid"], os.WNOHANG)[0]:  # our own child: reap it
                break
        except ChildProcessError:  # started by another process
            pass
        try:
            os.kill(data["pid"], 0)
        except OSError:
            break
        time.sleep(0.05)
    else:
        os.kill(data["pid"], signal.SIGKILL)
    from .databases import stop_recorded

    stop_recorded(state_dir())  # what a killed sandbox left running
    _state_file().unlink(missing_ok=True)
    return True


def endpoint(start: bool = True) -> str:
    """The endpoint a notebook's clients use: the runner's `OPSLIB_SANDBOX_URL`, else the running sandbox."""
    if os.environ.get("OPSLIB_SANDBOX_URL"):
        return os.environ["OPSLIB_SANDBOX_URL"]
    return up() if start else url()


def follow() -> str:
    """The running sandbox's URL now (starting it if it is down), ignoring any URL pinned in the
    environment: what a long-lived JupyterLab kernel calls before each client it makes."""
    data = _read_state()
    url_now = data["url"] if data else up()
    for variable in ("OPSLIB_SANDBOX_URL", "AWS_ENDPOINT_URL"):  # `!aws` and re-run cells too
        if os.environ.get(variable) not in (None, url_now):
            os.environ[variable] = url_now
    tls_url = (_read_state() or {}).get("tls_url")
    if tls_url:  # the load balancer's HTTPS front door (parameters/sandbox.yaml names it for certificate-expiry)
        os.environ["OPSLIB_SANDBOX_TLS_URL"] = tls_url
    return url_now


AWS_CLI_V1 = ("# aws-cli v1 ignores AWS_ENDPOINT_URL for rds in us-east-1, sqs and a few more: name the endpoint on every call\n"
              'aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }\n'
              '[ -n "$BASH_VERSION" ] && export -f aws  # for the scripts this shell runs')


def inbox() -> list[dict]:
    """What the sandbox's local webhooks received since the last reset, oldest first."""
    return _get(f"{url()}/_sandbox/inbox")


def webhook_url(name: str = "slack") -> str:
    """A local Slack incoming webhook that keeps what it is sent (`opslib sandbox inbox`)."""
    return f"{url()}/_sandbox/webhooks/{name}"


def env_lines() -> str:
    """Shell lines that point the aws CLI or any boto3 script at the sandbox."""
    lines = [f"export AWS_ENDPOINT_URL={url()}"] + [f"export {k}={v}" for k, v in FAKE_CREDENTIALS.items()]
    return "\n".join([*lines, AWS_CLI_V1])


def kernel_env() -> dict:
    """What a notebook kernel needs in its environment to reach the sandbox and nothing else (None: unset)."""
    endpoint_url = up()
    return {"OPSLIB_SANDBOX_URL": endpoint_url, "AWS_ENDPOINT_URL": endpoint_url, "OPSLIB_SANDBOX_TLS_URL": (_read_state() or {}).get("tls_url"), **credentials(),
            "AWS_PROFILE": None, "AWS_SESSION_TOKEN": None}


PRINCIPAL_VARIABLE = "OPSLIB_SANDBOX_AS"
ON_CALL_POLICY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}  # the sandbox holds IAM users' keys to their policies


def credentials() -> dict:
    """The credentials a run uses against the sandbox: its default principal, or the IAM user OPSLIB_SANDBOX_AS
    names (two people on one machine: a requester and an approver are who the sandbox's STS says they are)."""
    name = os.environ.get(PRINCIPAL_VARIABLE, "")
    if not name:
        return dict(FAKE_CREDENTIALS)
    key_id, secret = principal(name)
    return {**FAKE_CREDENTIALS, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret}


def principal(name: str) -> tuple[str, str]:
    """An access key of the sandbox's IAM user `name`, made through the IAM API on first use (and again after a reset)."""
    import re

    import boto3

    from opslib.errors import BadInput

    if not re.fullmatch(r"[A-Za-z0-9+=,.@_-]{1,64}", name):
        raise BadInput(f"{PRINCIPAL_VARIABLE}={name[:40]!r} is not an IAM user name", "use letters, digits and +=,.@_- (e.g. alice)")
    endpoint, path = up(), state_dir() / "principals.json"
    try:
        known = json.loads(path.read_text())
    except (OSError, ValueError):
        known = {}
    found = known.get(name) if isinstance(known.get(name), list) else None
    if found:
        sts = boto3.client("sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=found[0], aws_secret_access_key=found[1])
        try:
            if sts.get_caller_identity()["Arn"].endswith(f":user/{name}"):
                return found[0], found[1]
        except Exception:  # the sandbox was reset since: make the key again
            pass
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", **{k.lower(): v for k, v in FAKE_CREDENTIALS.items() if k != "AWS_DEFAULT_REGION"})
    try:
        iam.create_user(UserName=name)
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    iam.put_user_policy(UserName=name, PolicyName="on-call", PolicyDocument=json.dumps(ON_CALL_POLICY))  # a responder may do what a responder does
    key = iam.create_access_key(UserName=name)["AccessKey"]
    known[name] = [key["AccessKeyId"], key["SecretAccessKey"]]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(known))
    os.replace(tmp, path)
    return key["AccessKeyId"], key["SecretAccessKey"]
