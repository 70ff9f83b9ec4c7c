"""The notebooks that change things (issue "Contain, recover, change"): each applies only what was
planned, verifies it, and can be undone; plain boto3 reads the state before and after, as a
responder's terminal would. Their dry runs (red under their scenarios, nothing changed) are
tests/test_notebooks.py's."""

import json

from conftest import ledger, opslib
from opslib import sandbox


def _alias(aws) -> str:
    return aws.client("lambda", "us-west-2").get_alias(FunctionName="ec2-manager-function-prod", Name="LIVE")["FunctionVersion"]


def test_rollback_lambda_moves_the_alias_back_verifies_it_and_is_undone(healthy, aws, tmp_path):
    sandbox.control("scenario/bad-deploy")  # LIVE moved to version 5, which fails 12 % of calls
    assert _alias(aws) == "5"
    res = opslib("run", "rollback-lambda", "-p", "confirm=true", "--no-progress", runs=tmp_path)
    assert "CHANGED  point-alias ec2-manager-function-prod:LIVE to version 4: ec2-manager-function-prod:LIVE FunctionVersion: 5 -> 4" in res.stdout, res.stdout
    assert _alias(aws) == "4"
    (applied,) = [r for r in map(json.loads, (tmp_path / "journal.jsonl").read_text().splitlines()) if r["kind"] == "action" and r["status"] == "applied"]
    assert applied["verified"] is True and applied["undo"] == [{"verb": "point-alias", "args": {"function": "ec2-manager-function-prod", "alias": "LIVE", "version": "5"},
                                                                 "region": "us-west-2"}]
    run_id = ledger(tmp_path)[-1]["run_id"]
    undone = opslib("undo", run_id, "--confirm", "true", runs=tmp_path)
    assert undone.returncode == 0 and "FunctionVersion: 4 -> 5" in undone.stdout, undone.stdout + undone.stderr
    assert _alias(aws) == "5"  # back where the responder found it
