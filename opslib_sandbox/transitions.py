"""States that take time, as on AWS (moto changes them at once or not at all): an RDS instance
`modifying` or `rebooting` before it is `available` again, or `creating` when restored from a
snapshot or to a point in time; a DynamoDB table restored from a backup or a point in time
`CREATING` before `ACTIVE`; an EC2 instance whose status checks are `initializing` after a reboot;
a CloudFront invalidation `InProgress` before `Completed` (moto answers `COMPLETED`, a status AWS
never gives). Each lasts a few steps of the sandbox's pace (rollouts.pace)."""

from datetime import datetime, timedelta, timezone

from .rollouts import pace

RDS_MODIFY_STEPS, RDS_REBOOT_STEPS, RDS_RESTORE_STEPS, DDB_RESTORE_STEPS, EC2_REBOOT_STEPS, INVALIDATION_STEPS = 3, 2, 4, 3, 2, 2


_PENDING: list = []  # objects with a transition under way (settle_all: `opslib sandbox elapse` has let their time pass)


def begin(obj, attribute: str, during, steps: int, after) -> None:
    """`obj.attribute` reads `during` for `steps` paces, then `after`."""
    setattr(obj, attribute, during)
    obj.opslib_transition = (attribute, after, datetime.now(timezone.utc) + timedelta(seconds=steps * pace()))
    _PENDING[:] = [o for o in _PENDING if getattr(o, "opslib_transition", None)] + [obj]


def settle_all() -> None:
    """Every transition under way, done: minutes have passed (elapse), and each lasts a few paces."""
    for obj in _PENDING:
        settle_now(obj)
    _PENDING.clear()


def settle(obj) -> None:
    """Apply a transition whose time is up (called before the object is read)."""
    found = getattr(obj, "opslib_transition", None)
    if found and datetime.now(timezone.utc) >= found[2]:
        setattr(obj, found[0], found[1])
        obj.opslib_transition = None


def settle_now(obj) -> None:
    """Apply `obj`'s transition at once: its time is long past (a change backdated by a scenario)."""
    found = getattr(obj, "opslib_transition", None)
    if found:
        setattr(obj, found[0], found[1])
        obj.opslib_transition = None


def apply() -> None:
    from moto.ec2.models import EC2Backend
    from moto.rds.models import RDSBackend

    if getattr(RDSBackend, "opslib_transitions", False):
        return
    modify, reboot, describe = RDSBackend.modify_db_instance, RDSBackend.reboot_db_instance, RDSBackend.describe_db_instances

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        db = modify(self, db_instance_identifier, db_kwargs)
        begin(db, "status", "modifying", RDS_MODIFY_STEPS, "available")
        return db

    def reboot_db_instance(self, db_instance_identifier):
        db = reboot(self, db_instance_identifier)
        begin(db, "status", "rebooting", RDS_REBOOT_STEPS, "available")
        return db

    def describe_db_instances(self, *args, **kwargs):
        for db in list(self.databases.values()):
            settle(db)
        return describe(self, *args, **kwargs)

    reboot_instances, instance_status = EC2Backend.reboot_instances, EC2Backend.describe_instance_status

    def reboot_ec2(self, instance_ids):
        from .hosts import rebooted as containers_back

        rebooted = reboot_instances(self, instance_ids)
        for instance in rebooted:  # the status checks start over (backend_fixes reads opslib_status)
            previous = getattr(instance, "opslib_status", {})  # a reboot clears an instance (OS) impairment, not a system (host) one
            begin(instance, "opslib_status", {"instance": "initializing", "system": "initializing"}, EC2_REBOOT_STEPS, {"system": previous.get("system", "ok")})
            containers_back(instance)
        return rebooted

    def describe_instance_status(self, *args, **kwargs):
        for reservation in self.reservations.values():
            for instance in reservation.instances:
                settle(instance)
        return instance_status(self, *args, **kwargs)

    for name in ("restore_db_instance_from_db_snapshot", "restore_db_instance_to_point_in_time"):
        setattr(RDSBackend, name, _then(getattr(RDSBackend, name), "status", "creating", RDS_RESTORE_STEPS, "available"))
    _dynamodb_restores()
    _invalidations()

    RDSBackend.modify_db_instance, RDSBackend.reboot_db_instance = modify_db_instance, reboot_db_instance
    RDSBackend.describe_db_instances = describe_db_instances
    EC2Backend.reboot_instances, EC2Backend.describe_instance_status = reboot_ec2, describe_instance_status
    RDSBackend.opslib_transitions = True


def _then(call, attribute: str, during, steps: int, after):
    """`call`, then the object it made reads `during` for `steps` paces."""
    def wrapped(self, *args, **kwargs):
        made = call(self, *args, **kwargs)
        begin(made, attribute, during, steps, after)
        return made

    return wrapped


def _dynamodb_restores() -> None:
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    for name in ("restore_table_from_backup", "restore_table_to_point_in_time"):
        setattr(DynamoDBBackend, name, _then(getattr(DynamoDBBackend, name), "opslib_status", "CREATING", DDB_RESTORE_STEPS, "ACTIVE"))
    describe = Table.describe

    def described(self, base_key: str = "TableDescription"):
        settle(self)
        answer = describe(self, base_key)
        answer[base_key]["TableStatus"] = getattr(self, "opslib_status", None) or "ACTIVE"  # moto answers ACTIVE always
        answer[base_key]["TableSizeBytes"] = sum(item.size() for item in self.all_items())  # moto answers 0 whatever the table holds
        return answer

    Table.describe = described


def _invalidations() -> None:
    from moto.cloudfront.models import CloudFrontBackend

    create, get = CloudFrontBackend.create_invalidation, CloudFrontBackend.get_invalidation
    CloudFrontBackend.create_invalidation = _then(create, "status", "InProgress", INVALIDATION_STEPS, "Completed")

    def get_invalidation(self, dist_id: str, id: str):
        found = get(self, dist_id, id)
        settle(found)
        return found

    CloudFrontBackend.get_invalidation = get_invalidation
