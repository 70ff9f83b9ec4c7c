"""The one place boto3 sessions and clients are made: profile, assumed role, region,
endpoint (the sandbox), adaptive retries, timeouts and a user agent that names the notebook.
"""

import json
import os
import threading
from dataclasses import dataclass, field

DEFAULT_REGION = "us-west-2"


TARGET_VARIABLE = "OPSLIB_TARGET"  # the runner hands a target's account and region to its kernel (JSON)


@dataclass
class AwsSettings:
    region: str | None = None  # None: the profile's or AWS_REGION, else us-west-2
    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None  # what the role's trust policy asks of whoever assumes it (sts:ExternalId)
    endpoint_url: str | None = None  # None: AWS itself (or AWS_ENDPOINT_URL); "sandbox": the running sandbox, wherever it is now
    max_attempts: int = 5  # in all, the first try included
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    user_agent: str = "opslib"

    @classmethod
    def from_env_file(cls, env_data: dict, user_agent: str = "opslib", targeted: bool = True) -> "AwsSettings":
        aws = dict(env_data.get("aws") or {})
        known = {k: aws.pop(k) for k in list(aws) if k in cls.__dataclass_fields__}
        if aws:
            from .errors import BadInput

            raise BadInput(f"unknown aws setting(s) {', '.join(aws)}", f"use {', '.join(cls.__dataclass_fields__)}")
        target = os.environ.get(TARGET_VARIABLE) if targeted else None
        if target:  # one of the environment's targets (opslib.targets): its account's role or profile, and its region
            known.update({k: v for k, v in json.loads(target).items() if k in ("role_arn", "profile", "external_id", "region") and v})
        return cls(user_agent=user_agent, **known)


@dataclass
class Aws:
    """Clients on demand, one per service and region, shared by the threads of a run."""

    settings: AwsSettings = field(default_factory=AwsSettings)
    _clients: dict = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    _session: object = field(default=None, repr=False)
    _endpoint_now: str | None = field(default=None, repr=False)

    @property
    def region(self) -> str:
        return self.settings.region or self.session().region_name or DEFAULT_REGION

    def session(self):
        with self._lock:
            if self._session is None:
                s = self.settings
                base = new_session(profile_name=s.profile, region_name=s.region, **(_sandbox_keys() if s.endpoint_url == "sandbox" and not s.profile else {}))
                if s.role_arn:
                    base = _assume(base, s)
                self._session = base
            return self._session

    @property
    def endpoint(self) -> str | None:
        """Where calls go. A kernel a responder keeps open follows the sandbox across restarts: its
        clients are remade when the sandbox answers at another address."""
        s = self.settings
        if s.endpoint_url != "sandbox":
            return s.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        import opslib_sandbox as sandbox

        now = sandbox.follow()
        if now != self._endpoint_now:
            self._clients.clear()
            self._endpoint_now = now
        return now

    def client(self, service: str, region: str | None = None):
        with self._lock:
            endpoint = self.endpoint
            key = (service, region or self.region)
            if key not in self._clients:
                from botocore.config import Config

                s = self.settings
                config = Config(
                    retries={"mode": "adaptive", "total_max_attempts": s.max_attempts},  # first try included
                    connect_timeout=s.connect_timeout,
                    read_timeout=s.read_timeout,
                    user_agent_extra=s.user_agent,
                )
                self._clients[key] = self.session().client(service, region_name=key[1], endpoint_url=endpoint, config=config)
            return self._clients[key]

    def at(self, region: str) -> "Aws":
        """This run's AWS in another region: same session and credentials, same client cache."""
        import dataclasses

        self.session()
        return dataclasses.replace(self, settings=dataclasses.replace(self.settings, region=region), _clients=self._clients,
                                   _lock=self._lock, _session=self._session, _endpoint_now=self._endpoint_now)


# What the catalog's notebooks call: their models are parsed once in the warm process (opslib.warm), before it forks kernels.
SERVICES = ("apigateway", "application-autoscaling", "ce", "cloudformation", "cloudfront", "cloudwatch", "cognito-idp", "dynamodb",
            "ec2", "ecs", "elasticache", "elbv2", "lambda", "logs", "rds", "s3", "secretsmanager", "sns", "ssm", "sts")
_LOADERS: dict = {}  # data path -> botocore's data loader, shared by the process's sessions


def _sandbox_keys() -> dict:
    """The sandbox's credentials for a session that calls it (its default principal, or OPSLIB_SANDBOX_AS's user): given to
    the session, so nothing outside a kernel (the CLI, an input check, the store) needs them in the process's environment."""
    import opslib_sandbox as sandbox

    keys = sandbox.credentials()
    return {"aws_access_key_id": keys["AWS_ACCESS_KEY_ID"], "aws_secret_access_key": keys["AWS_SECRET_ACCESS_KEY"]}


def new_session(**kw):
    """A boto3 session whose service models come from one loader for the process: parsing a service's
    JSON model (half of making a client) is done once, not once per session."""
    import boto3
    import botocore.session
    from botocore.loaders import create_loader

    core = botocore.session.get_session()
    data_path = core.get_config_variable("data_path")
    loader = _LOADERS.get(data_path)
    if loader is None:
        loader = _LOADERS.setdefault(data_path, create_loader(data_path))
    core.register_component("data_loader", loader)
    session = boto3.Session(botocore_session=core, **kw)
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))  # boto3 adds its own folder to the loader it is given, each time
    return session


def preload_models() -> None:
    """Make one client of each service the catalog calls (no call is made): their models stay parsed."""
    session = new_session(region_name="us-east-1", aws_access_key_id="preload", aws_secret_access_key="preload")
    for name in SERVICES:
        session.client(name)


def caller(aws: "Aws") -> str:
    """Who AWS says these credentials are (sts:GetCallerIdentity, which no policy can deny): the ARN a person is
    known by wherever it matters who they are (a plan's requester and approver), never an environment variable."""
    return aws.client("sts").get_caller_identity()["Arn"]


def in_regions(aws: Aws, regions: list[str] | None, read, *args) -> list[dict]:
    """`read(aws, *args)` (a list of dicts) in each region at once, each item marked with its `Region`;
    no regions: the run's own."""
    from functools import partial

    regions = list(regions or [aws.region])
    found = at_once(partial(read, aws.at(region), *args) for region in regions)
    return [item | {"Region": region} for region, items in zip(regions, found) for item in items]


def _assume(base, s: AwsSettings):
    """A session whose credentials come from assuming `role_arn`."""
    sts = base.client("sts", endpoint_url=Aws(s).endpoint)
    extra = {"ExternalId": s.external_id} if s.external_id else {}
    creds = sts.assume_role(RoleArn=s.role_arn, RoleSessionName=f"opslib-{os.getpid()}", **extra)["Credentials"]
    return new_session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=s.region or base.region_name,
    )


def at_once(calls) -> list:
    """Independent AWS calls (no-argument callables) together, results in order; an exception is raised
    as it would be in sequence. At most 8 at a time: botocore keeps 10 connections per client."""
    calls = list(calls)
    if len(calls) < 2:
        return [call() for call in calls]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(8, len(calls))) as pool:
        return [f.result() for f in [pool.submit(call) for call in calls]]
