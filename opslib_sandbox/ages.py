"""Real, varied ages for what the seeds create in a second (AWS has no call that ages a resource),
so the backup, cleanup and rotation checks of seeds 001-003 have something true to read:

- the RDS instances' automated backups, kept for 60 days so far: seed 003's daily `rms-db-prod-YYYYMMDD`, each taken
  at 03:00 UTC on its day, for the retention period (backups.py);
- rms-db-prod's manual snapshot before release 2.14, ten days ago;
- seed 004's nightly dumps in backups-incident-response, each written at 02:00 UTC on its day (and `latest/` the last);
- the EC2 Manager function's published versions, a release every two weeks (the newest 3 days old),
  and its web bucket's object versions and its stack's releases (and the stack's events), released alongside;
- AutoStack's secrets (seed 002 "Credential rotation"): GitHub OAuth changed 40 days ago (due every
  90), Google OAuth 70 days ago (due in 20), JWT 60 days ago (due every 180); credential-overdue leaves Google's unrotated 120 days;
- AutoStack's Terraform state (seed 002 "Terraform State Backups"): a version a week, the newest 2 days old;
- the audit table's on-demand backups: the nightly one taken at 01:00 UTC last night, release 1.3.0's three days ago;
- the audit table's point-in-time recovery, on for 60 days: its window spans the 35 days AWS keeps.
"""

import re
from datetime import datetime, timedelta, timezone

from . import world

SECRET_AGES_DAYS = {"github-oauth": 40, "google-oauth": 70, "jwt": 60}
RELEASE_EVERY = timedelta(days=14)
STATE_EVERY = timedelta(days=7)


def apply(now: datetime | None = None) -> None:
    now = now or datetime.now(timezone.utc)
    from . import backups

    for region in world.REGIONS:
        backups.backdate(world.backend("rds", region), days=60, now=now)
    for snap in world.backend("rds", world.RMS["region"]).database_snapshots.values():
        if snap.db_snapshot_identifier == f"{world.RMS['db']}-manual-pre-release-2-14":  # taken before release 2.14, ten days ago
            snap.created = snap.original_snapshot_create_time = now - timedelta(days=10)
    dumps = world.backend("s3", "global").buckets.get(world.IR["backups_bucket"])
    for key in list(dumps.keys) if dumps is not None else []:
        m = re.search(r"/(\d{4}-\d{2}-\d{2})/", key)
        night = datetime.strptime(m[1], "%Y-%m-%d") if m else (now - timedelta(days=0 if now.hour >= 2 else 1)).replace(tzinfo=None)
        for version in dumps.keys.getlist(key):
            version.last_modified = night.replace(hour=2, minute=0, second=0, microsecond=0)  # moto keeps naive UTC
    versions = world.backend("lambda", world.EC2M["region"])._lambdas._functions.get(world.EC2M["function"], {}).get("versions", [])
    for i, fn in enumerate(reversed(versions)):
        fn.last_modified = (now - timedelta(days=3) - i * RELEASE_EVERY).strftime("%Y-%m-%dT%H:%M:%S.000+0000")
    for name in (world.EC2M["web_bucket"], world.EC2M["deploy_bucket"]):
        bucket = world.backend("s3", "global").buckets.get(name)
        for key in list(bucket.keys) if bucket is not None else []:
            for i, version in enumerate(reversed(bucket.keys.getlist(key))):
                version.last_modified = (now - timedelta(days=3) - i * RELEASE_EVERY).astimezone(timezone.utc).replace(tzinfo=None)  # moto keeps naive UTC
    state = world.backend("s3", "global").buckets.get(world.AUTOSTACK["state_bucket"])
    for i, version in enumerate(reversed(state.keys.getlist(world.AUTOSTACK["state_key"], [])) if state is not None else []):
        version.last_modified = (now - timedelta(days=2) - i * STATE_EVERY).astimezone(timezone.utc).replace(tzinfo=None)
    stack = next((s for s in world.backend("cloudformation", world.EC2M["region"]).stacks.values() if s.name == world.EC2M["stack"]), None)
    for event in stack.events if stack is not None else []:  # deployed with release 1.3.0, three days ago
        event.timestamp = (now - timedelta(days=3)).replace(tzinfo=None)
    if stack is not None:
        stack.creation_time = (now - timedelta(days=3)).replace(tzinfo=None)
    for secret in world.backend("secretsmanager", world.AUTOSTACK["region"]).secrets.values():
        for name, days in SECRET_AGES_DAYS.items():
            if secret.name == f"autostack/production/{name}":
                changed = (now - timedelta(days=days)).timestamp()
                secret.created_date = secret.last_changed_date = int(changed)
                for version in secret.versions.values():  # put then, as its one version
                    version["createdate"] = int(changed)
    table = world.backend("dynamodb", world.EC2M["region"]).tables.get(world.EC2M["table"])
    for backup in world.backend("dynamodb", world.EC2M["region"]).backups.values():
        night = (now - timedelta(days=0 if now.hour >= 1 else 1)).replace(hour=1, minute=0, second=0, microsecond=0)
        backup.creation_date_time = (night if backup.name.endswith("nightly") else now - timedelta(days=3)).replace(tzinfo=None)
    if table is not None:
        table.opslib_pitr_since = (now - timedelta(days=60)).timestamp()
