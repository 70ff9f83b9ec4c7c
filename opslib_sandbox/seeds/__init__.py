"""One module per source runbook: the resources it names, seeded over boto3 as a script would."""

from . import accounts, autostack, ec2manager, evidence, incident_response, metrics, rms, webapp

SEEDS = (webapp, ec2manager, autostack, rms, incident_response, evidence, accounts)

__all__ = ["SEEDS", "metrics"]
