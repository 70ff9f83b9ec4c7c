"""Seed 001 "S3 Content Rollback": the site's objects back to their previous versions (the seed syncs a
local copy back with `aws s3 sync --delete`; a versioned bucket keeps them, so each is copied back
from its version), then `aws cloudfront create-invalidation` so the edges serve them."""

import uuid

from ..services import s3
from . import Action, Change


def _version(version_id: str | None, written: str | None) -> str | None:
    """A version as a responder tells them apart: when it was written, and the start of its id."""
    return version_id and f"{written} UTC ({version_id[:8]})"


class RestoreVersions(Action):
    verb = "restore-object-versions"
    permissions = ("s3:ListBucketVersions", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject")
    max_resources = 100

    def __init__(self, bucket: str, targets: dict):
        self.bucket, self.targets = bucket, dict(sorted(targets.items()))  # key: the version to make current (None: remove the object)

    def describe(self) -> str:
        return f"restore-object-versions s3://{self.bucket} ({len(self.targets)} objects)"

    def args(self) -> dict:
        return {"bucket": self.bucket, "targets": self.targets}

    def capture(self, aws) -> dict:
        found = s3.object_versions(aws, self.bucket)
        state = {}
        for key, target in self.targets.items():
            versions = found.get(key, [])
            now = versions[0] if versions and not versions[0]["deleted"] else None
            wanted = next((v for v in versions if v["version"] == target), None)
            state[key] = {"version": now and now["version"], "etag": now and now["etag"], "written": now and f"{now['modified']:%Y-%m-%d %H:%M}",
                          "target_etag": wanted and wanted["etag"], "target_written": wanted and f"{wanted['modified']:%Y-%m-%d %H:%M}"}
        return state

    def plan(self, before: dict) -> list[Change]:
        return [Change(f"s3://{self.bucket}/{key}", "current version", _version(before[key]["version"], before[key]["written"]),
                       _version(target, before[key]["target_written"]) if target else "(removed)")
                for key, target in self.targets.items() if before[key]["etag"] != before[key]["target_etag"]]

    def apply(self, aws, changes) -> None:
        client = aws.client("s3")
        for c in changes:
            key = c.resource.removeprefix(f"s3://{self.bucket}/")
            if self.targets[key]:
                client.copy_object(Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": key, "VersionId": self.targets[key]},
                                   MetadataDirective="COPY")
            else:
                client.delete_object(Bucket=self.bucket, Key=key)

    def undo(self, before: dict, changes) -> list["RestoreVersions"]:
        keys = [c.resource.removeprefix(f"s3://{self.bucket}/") for c in changes]
        return [RestoreVersions(self.bucket, {key: before[key]["version"] for key in keys})]

    @classmethod
    def rollback(cls, bucket: str, release: dict) -> list["RestoreVersions"]:
        """The last release's objects back to the versions it replaced (`s3.last_release`)."""
        return [cls(bucket, {key: v and v["version"] for key, v in release.items()})] if release else []


class InvalidatePaths(Action):
    verb = "invalidate-paths"
    permissions = ("cloudfront:GetDistribution", "cloudfront:CreateInvalidation", "cloudfront:GetInvalidation")
    max_resources = 1
    verify_within_s = 900  # CloudFront takes minutes to reach every edge
    undo_note = "an invalidation has no undo: the edges fetch the objects from the bucket again"

    def __init__(self, distribution_id: str, paths: list[str]):
        self.distribution_id, self.paths = distribution_id, sorted(paths)
        self.invalidation = ""

    def describe(self) -> str:
        return f"invalidate-paths {self.distribution_id} ({len(self.paths)} paths)"

    def args(self) -> dict:
        return {"distribution_id": self.distribution_id, "paths": self.paths}

    def capture(self, aws) -> dict:
        found = aws.client("cloudfront").get_distribution(Id=self.distribution_id)["Distribution"]
        done = aws.client("cloudfront").get_invalidation(DistributionId=self.distribution_id, Id=self.invalidation)["Invalidation"]["Status"] \
            if self.invalidation else ""
        return {"status": found["Status"], "invalidation": self.invalidation, "invalidation_status": done}

    def plan(self, before: dict) -> list[Change]:
        return [Change(self.distribution_id, "cached paths", "served from the edges' caches", "invalidated: " + " ".join(self.paths))] if self.paths else []

    def apply(self, aws, changes) -> None:
        batch = {"Paths": {"Quantity": len(self.paths), "Items": self.paths}, "CallerReference": f"opslib-{uuid.uuid4().hex}"}
        self.invalidation = aws.client("cloudfront").create_invalidation(DistributionId=self.distribution_id, InvalidationBatch=batch)["Invalidation"]["Id"]

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        return after["invalidation_status"] == "Completed", f"invalidation {after['invalidation']} {after['invalidation_status'] or 'not created'}"

    @classmethod
    def after_restore(cls, distribution: dict | None, release: dict) -> list["InvalidatePaths"]:
        """The restored objects' paths on the bucket's distribution; none without either."""
        return [cls(distribution["Id"], [f"/{key}" for key in release])] if distribution and release else []
