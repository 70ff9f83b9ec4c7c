"""Environment files (`parameters/<env>.yaml`): found by a safe name, read safely, checked whole.

A malformed file is bad input like a mistyped parameter: one line that names the fix, before
any kernel starts. Sections: description, production, aws, parameters, notebooks, evidence
(mode, witness, hmac_key, store), http (allow_link_local), change_ref_pattern, incidents (table: a DynamoDB
table keeping a copy of every incident record), actions (table: the DynamoDB table of locks on
resources being changed and of plans awaiting approval; lock_minutes: how long a lock left by a
killed run holds; approval: plans need a second person's `opslib approve`).
"""

import os
import re
from dataclasses import dataclass

from .errors import BadInput, did_you_mean
from .filing import DEFAULT_MODE, parse_mode
from .paths import parameters_dir

SECTIONS = ("description", "production", "aws", "parameters", "notebooks", "evidence", "http", "change_ref_pattern", "incidents", "actions", "targets")
DEFAULT_CHANGE_REF = r"^(INC|CHG)-[A-Za-z0-9-]+$"
AUTHORIZING = ("confirm", "change_ref")  # only -p on the command line or the Apply button may set these: a standing one authorizes every change
MAX_LOCK_MINUTES = 24 * 60
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
MAX_BYTES = 256 * 1024
MAX_NODES = 20000  # values after YAML aliases are followed: an alias bomb is refused, not expanded


SCHEDULE = "schedule"  # parameters/schedule.yaml is the schedule (opslib.schedule), not an environment


def names() -> list[str]:
    return sorted(p.stem for p in parameters_dir().glob("*.yaml") if _NAME.fullmatch(p.stem) and p.stem != SCHEDULE)


def load(env: str) -> dict:
    """parameters/<env>.yaml, parsed and checked (${VAR} references are expanded later, at use)."""
    import yaml

    if not isinstance(env, str) or not _NAME.fullmatch(env):
        raise BadInput(f"environment name {env!r} is not a plain name", "use letters, digits, - and _ only, e.g. --env staging (see parameters/)")
    path = parameters_dir() / f"{env}.yaml"
    if not path.is_file() or env == SCHEDULE:
        known = names()
        hint = did_you_mean(env, known)
        raise BadInput(f"unknown environment '{env}'", (hint + " " if hint else "") + f"known: {', '.join(known) or 'none'} (parameters/<env>.yaml)")
    where = f"parameters/{path.name}"
    if path.stat().st_size > MAX_BYTES:
        raise BadInput(f"{where} is larger than {MAX_BYTES // 1024} KiB", "an environment file holds settings, not data; trim it")
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: 10x faster, same safety
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise BadInput(f"{where} is not valid YAML{at} ({problem})", "fix the file; plain YAML only, no tags") from None
    except UnicodeDecodeError:
        raise BadInput(f"{where} is not UTF-8 text", "save it as UTF-8") from None
    data = {} if data is None else data
    count_nodes(data, where)
    _check_shape(data, where)
    if isinstance(data, dict) and "targets" in data:
        from . import targets

        targets.check(data["targets"], where, text)
    return data


def count_nodes(data, where: str) -> None:
    """Without recursion: an alias that contains itself is a structure with no end."""
    budget, todo = MAX_NODES, [data]
    while todo:
        node = todo.pop()
        budget -= 1
        if budget < 0:
            raise BadInput(f"{where} expands to more than {MAX_NODES} values (YAML aliases?)", "write the values out; aliases are not needed here")
        if isinstance(node, dict):
            todo.extend(node.keys())
            todo.extend(node.values())
        elif isinstance(node, list):
            todo.extend(node)


def _check_shape(data, where: str) -> None:
    if not isinstance(data, dict):
        raise BadInput(f"{where} is a {type(data).__name__}, not a mapping", "start it with keys such as `aws:` and `parameters:`")
    for key in data:
        if key not in SECTIONS:
            hint = did_you_mean(str(key), SECTIONS)
            raise BadInput(f"{where}: unknown section '{key}'", hint or f"use {', '.join(SECTIONS)}")
    for key in ("aws", "parameters", "notebooks", "evidence", "http", "incidents", "actions"):
        if data.get(key) is not None and not isinstance(data[key], dict):
            raise BadInput(f"{where}: {key} is a {type(data[key]).__name__}", f"make {key} a mapping of name: value")
    from .aws import AwsSettings

    fields = AwsSettings.__dataclass_fields__
    unknown = [str(k) for k in (data.get("aws") or {}) if k not in fields]
    if unknown:
        raise BadInput(f"{where}: unknown aws setting(s) {', '.join(unknown)}", (did_you_mean(unknown[0], fields) + " " if did_you_mean(unknown[0], fields) else "") + f"use {', '.join(fields)}")
    section = data.get("actions") or {}
    for key in section:
        if key not in ("table", "lock_minutes", "approval"):
            raise BadInput(f"{where}: unknown actions setting '{key}'", "use table, lock_minutes or approval")
    minutes = section.get("lock_minutes", 15)
    if not (isinstance(minutes, int) and not isinstance(minutes, bool) and 1 <= minutes <= MAX_LOCK_MINUTES):
        raise BadInput(f"{where}: actions.lock_minutes is {str(minutes)[:40]!r}", f"give whole minutes from 1 to {MAX_LOCK_MINUTES}, e.g. lock_minutes: 15")
    if "approval" in section and not isinstance(section["approval"], bool):
        raise BadInput(f"{where}: actions.approval is {str(section['approval'])[:40]!r}", "set approval: true or approval: false")
    if section.get("approval") and not section.get("table"):
        raise BadInput(f"{where}: actions.approval needs actions.table", "name the DynamoDB table where plans and approvals are kept (actions.table)")
    if "production" in data and not isinstance(data["production"], bool):
        raise BadInput(f"{where}: production is {data['production']!r}", "set production: true or production: false")
    for name, own in (data.get("notebooks") or {}).items():
        if own is not None and not isinstance(own, dict):
            raise BadInput(f"{where}: notebooks.{name} is a {type(own).__name__}", f"make notebooks.{name} a mapping of parameter: value")
    layers = [("parameters", data.get("parameters") or {})] + [(f"notebooks.{n}", o or {}) for n, o in (data.get("notebooks") or {}).items()]
    for section, layer in layers:
        for name in layer:
            if name in AUTHORIZING:
                raise BadInput(f"{where}: {section} sets {name}", f"remove it: {name} authorizes a change and comes only from -p {name}=... or the Apply button")
    pattern = data.get("change_ref_pattern", DEFAULT_CHANGE_REF)
    try:
        re.compile(pattern if isinstance(pattern, str) else "(")
    except re.error:
        raise BadInput(f"{where}: change_ref_pattern {pattern!r} is not a regular expression", f"e.g. change_ref_pattern: '{DEFAULT_CHANGE_REF}'") from None
    evidence = data.get("evidence") or {}
    for key in evidence:
        if key not in ("mode", "witness", "hmac_key", "store"):
            raise BadInput(f"{where}: unknown evidence setting '{key}'", "use mode, witness, hmac_key or store")
    if evidence.get("store") is not None:
        from .store import parse_url

        parse_url(evidence["store"], f"{where} evidence.store")
    if "mode" in evidence:
        parse_mode(evidence["mode"], f"{where} evidence.mode")
    key = evidence.get("hmac_key")
    if key is not None and not (isinstance(key, str) and key.startswith("env:") and len(key) > 4):
        raise BadInput(f"{where}: evidence.hmac_key must name a variable", "write hmac_key: env:OPSLIB_LEDGER_KEY (never the key itself)")
    for key in data.get("http") or {}:
        if key != "allow_link_local" or not isinstance(data["http"][key], bool):
            raise BadInput(f"{where}: http.{key} is not a setting", "the only one is http.allow_link_local: true or false")


@dataclass
class EvidenceSettings:
    """What a run needs up front; the witness is made from the file by `witness.for_environment`."""

    mode: str = DEFAULT_MODE
    hmac_key: bytes | None = None


def evidence_settings(data: dict, env: str = "") -> EvidenceSettings:
    """The environment file's evidence settings; a key variable that is named but unset is bad input."""
    evidence = data.get("evidence") or {}
    out = EvidenceSettings(mode=str(evidence.get("mode") or DEFAULT_MODE))
    if evidence.get("hmac_key"):
        variable = evidence["hmac_key"][4:]
        value = os.environ.get(variable)
        if not value:
            raise BadInput(f"parameters/{env}.yaml signs evidence with ${variable}, which is not set", f"export {variable}=... (the ledger key)")
        out.hmac_key = value.encode()
    return out


def all_keys(loaded: dict) -> dict:
    """env -> HMAC key, for every loaded environment whose file names one (verify); None where its variable
    is not set here. Every record of such an environment must carry an HMAC, whether or not it can be checked here."""
    keys = {}
    for env, data in loaded.items():
        named = isinstance(data, dict) and isinstance(data.get("evidence"), dict) and data["evidence"].get("hmac_key")
        try:
            settings = evidence_settings(data, env)
        except BadInput:
            if named:
                keys[env] = None
            continue
        if settings.hmac_key:
            keys[env] = settings.hmac_key
    return keys


def home_aws(aws, env_data: dict):
    """This run's AWS in the environment's home region (its `aws.region`), where the environment's own tables live
    (actions, incidents), whatever region the notebook works in; and in its own account, whichever target the run reads."""
    home = (env_data.get("aws") or {}).get("region") or aws.region
    from .aws import TARGET_VARIABLE, Aws, AwsSettings

    if os.environ.get(TARGET_VARIABLE):
        import dataclasses

        return Aws(dataclasses.replace(AwsSettings.from_env_file(env_data, aws.settings.user_agent, targeted=False), region=home))
    return aws.at(home)


LOOPBACK_HOSTS = ("localhost", "0.0.0.0", "::", "::1")


def endpoint(env_data: dict, environ=None) -> str:
    """Where this environment's AWS calls go: the file's endpoint_url, else $AWS_ENDPOINT_URL, else AWS."""
    environ = os.environ if environ is None else environ
    named = (env_data.get("aws") or {}).get("endpoint_url")
    if named == "sandbox":
        return environ.get("OPSLIB_SANDBOX_URL") or "sandbox"
    return str(named or environ.get("AWS_ENDPOINT_URL") or "aws")


def check_endpoint(env: str, env_data: dict, environ=None) -> None:
    """A production environment that names no endpoint talks to AWS. An endpoint variable on this host's
    loopback (what `eval "$(opslib sandbox env)"` leaves in a shell, and a kernel inherits) would send its
    calls to the fake AWS and file sandbox data labelled production."""
    from urllib.parse import urlsplit

    environ = os.environ if environ is None else environ
    if not env_data.get("production") or (env_data.get("aws") or {}).get("endpoint_url"):
        return
    for name, value in sorted(environ.items()):
        if name != "AWS_ENDPOINT_URL" and not name.startswith("AWS_ENDPOINT_URL_"):
            continue
        try:
            host = (urlsplit(str(value)).hostname or "").lower()
        except ValueError:
            host = ""
        if host in LOOPBACK_HOSTS or host.startswith("127.") or host.endswith(".localhost"):
            raise BadInput(f"${name} is {str(value)[:60]}, this machine (the sandbox?), and {env} is production",
                           f"open a new shell or `unset {name}` (eval \"$(opslib sandbox env)\" set it): production talks to AWS")
