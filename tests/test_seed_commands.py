"""Every read-only `aws` command in the five seed runbooks, placeholders filled, run with the aws CLI
against the healthy sandbox, as a responder would paste it after `eval "$(opslib sandbox env)"`.

Each must exit 0 with data (not nothing, `[]` or `None`), unless listed in BROKEN (the seed's own
text cannot work anywhere) or MISSING (what the sandbox does not have yet), each with its reason.
bash runs each command as pasted; `aws` in it is the aws CLI's own code run in one long-lived process
(fixtures/aws_cli_inprocess.py) rather than a new interpreter per command, which cost 1.3 s of CPU each.
`aws logs tail` is aws-cli v2's; the v1 that pip installs has none, so those must fail as such.
A listed command that starts working fails the test too, so the lists only shrink.
"""

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import opslib_sandbox as sandbox
from opslib_sandbox.world import ACCOUNT, AUTOSTACK, EC2M, IR, RMS, WEBAPP

SEEDS = Path(__file__).resolve().parent / "fixtures" / "seeds"
REGION = {"000": WEBAPP["region"], "001": EC2M["region"], "002": AUTOSTACK["region"], "003": RMS["region"], "004": IR["region"]}
READ_ONLY = re.compile(r"aws (s3 ls|s3api (get|list|head)-\S+|\S+ (describe|list|get|filter|lookup|tail|query|scan)(-\S+)?)\b")

ISO_DATE = "`date --iso-8601` gives a date only: start and end are the same midnight, which CloudWatch refuses"
DAY_ONLY = {("001", line) for line in (451, 462, 499, 534, 570, 772, 791, 802, 813)}  # in the hour after midnight they run, over a day, not the hour meant
BROKEN = {  # (seed, line): why the seed's text fails whatever it runs against
    ("001", 257): "JMESPath `$Version` is not an identifier (the seed means Version)",
    **{key: ISO_DATE for key in DAY_ONLY},
    ("001", 929): "JMESPath == compares literally: `ec2-manager-*` is not a wildcard",
    ("003", 367): "file://db-metrics.json is not in the seed (and the sandbox has no Performance Insights)",
    ("003", 116): "`--statistics Average,Maximum` is one value to the CLI (Statistics: ['Average,Maximum']): AWS refuses it (InvalidParameterValue)",
    ("003", 126): "`--statistics Average,Maximum` is one value to the CLI: AWS refuses it (InvalidParameterValue)",
    ("003", 216): "`--max-records 7`: RDS takes 20 to 100 (InvalidParameterValue)",
    ("003", 384): "`--max-records 7`: RDS takes 20 to 100 (InvalidParameterValue)",
    ("003", 321): "VPC flow logs are space-separated text, not JSON: `{ $.action = \"REJECT\" }` matches no record "
                  "(`[version, account, eni, source, destination, srcport, destport, protocol, packets, bytes, start, end, action=REJECT, status]` would)",
}
MISSING = {  # (seed, line): what the sandbox lacks, so the command fails or finds nothing
    ("003", 140): "moto has no Inspector Classic (a 500 from the sandbox)",
}
EMPTY_IS_RIGHT = {  # (seed, line): nothing is the healthy answer
    ("001", 493): "a healthy function logs no ERROR in most hours (the traffic model's Errors are 0 most minutes)",
    ("001", 592): "no alarm is in ALARM on a good day",
    ("001", 873): "a sign-in every 7 minutes, 2 % of them failing: most hours have no FAILED line",
    ("001", 996): "no corrupted record to find on a good day",
    ("003", 188): "no unattached volume on a good day",
    ("003", 203): "RMS runs on Fargate: no EC2 instance in its region",
    ("003", 418): "no alarm is in ALARM on a good day",
}


def commands(path: Path) -> list[tuple[int, str]]:
    """(line, command) for each read-only aws command in the file's code blocks (`X=$(aws ...)` too),
    a command that is the argument of another (`--group-ids $(aws ...)`) left to its outer one."""
    found = []
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    in_block, i = False, 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            in_block = not in_block
            i += 1
            continue
        start = i
        while in_block and line.rstrip().endswith("\\") and i + 1 < len(lines):  # continuation lines
            i += 1
            line = line.rstrip()[:-1] + " " + lines[i].strip()
        if in_block and not line.lstrip().startswith("#"):
            covered = 0  # where the last command found on this line ends: an aws inside it is its argument
            for m in re.finditer(r"(?<![\w-])aws\s", line):
                if m.start() < covered:
                    continue
                text = _simple_command(line[m.start():])
                covered = m.start() + len(text)
                if READ_ONLY.match(text):
                    found.append((start + 1, text))
        i += 1
    return found


def _simple_command(text: str) -> str:
    """The command up to where the shell would end it: a pipe, `;`, `&&`, a redirect, a comment, or
    the `)` closing the substitution it sits in (quotes and nested `$(...)` respected)."""
    quote, depth, i = "", 0, 0
    while i < len(text):
        ch = text[i]
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            if text.find(ch, i + 1) < 0:  # closes a quote the command sits in (`watch -n 30 'aws ...'`)
                break
            quote = ch
        elif re.match(r"<[\w-]+>", text[i:]):  # a placeholder, not a redirect
            i += re.match(r"<[\w-]+>", text[i:]).end() - 1
        elif ch == "(":  # $( , $(( and ( alike
            depth += 1
        elif ch == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (ch in "|;>`" or text.startswith("&&", i) or text.startswith("2>", i) or text.startswith(" #", i)):
            break
        i += 1
    return text[:i].strip()


def _fill(text: str, names: dict) -> str:
    text = re.sub(r"\s--follow\b", "", text)  # read once instead of forever
    for placeholder, value in names.items():
        text = text.replace(placeholder, value)
    return text


@pytest.fixture(scope="module")
def names(sandbox_url):
    """What the seeds leave for the reader to fill in, from the sandbox's world."""
    from opslib.aws import Aws, AwsSettings

    for k, v in sandbox.FAKE_CREDENTIALS.items():
        os.environ.setdefault(k, v)
    aws = Aws(AwsSettings(endpoint_url=sandbox_url))
    sandbox.control("reset")
    ec2 = aws.client("ec2", WEBAPP["region"])
    instance = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [WEBAPP["instance_name"]]}])["Reservations"][0]["Instances"][0]
    group = instance["SecurityGroups"][0]["GroupId"]
    pool = aws.client("cognito-idp", EC2M["region"]).list_user_pools(MaxResults=10)["UserPools"][0]["Id"]
    client = aws.client("cognito-idp", EC2M["region"]).list_user_pool_clients(UserPoolId=pool)["UserPoolClients"][0]["ClientId"]
    api = aws.client("apigateway", EC2M["region"]).get_rest_apis()["items"][0]["id"]
    distribution = next(d["Id"] for d in aws.client("cloudfront").list_distributions()["DistributionList"]["Items"] if "EC2 Manager" in d["Comment"])
    cert = next(c["CertificateArn"] for c in aws.client("acm", RMS["region"]).list_certificates()["CertificateSummaryList"] if c["DomainName"] == "api.rms.example.com")
    ir_group = aws.client("rds", IR["region"]).describe_db_instances(DBInstanceIdentifier=IR["db"])["DBInstances"][0]["VpcSecurityGroups"][0]["VpcSecurityGroupId"]
    versions = aws.client("s3").list_object_versions(Bucket=AUTOSTACK["state_bucket"], Prefix=AUTOSTACK["state_key"])["Versions"]
    return {"VERSION_ID": versions[1]["VersionId"], "<INSTANCE_ID>": instance["InstanceId"], "<SECURITY_GROUP_ID>": group, "<SG_ID>": group, "<api-id>": api, "<distribution-id>": distribution,
            "<user-pool-id>": pool, "<client-id>": client, "<account-id>": ACCOUNT, "<trail-name>": "ec2-manager-trail-production",
            "arn:aws:acm:us-east-1:123456789012:certificate/example": cert, "sg-xxxxx": ir_group}


CLI = Path(__file__).resolve().parent / "fixtures" / "aws_cli_inprocess.py"


@pytest.fixture(scope="module")
def aws_cli(tmp_path_factory):
    """The aws CLI, served from one process for the module's commands; the `aws` shell function that reaches it."""
    sock = tmp_path_factory.mktemp("aws-cli") / "cli.sock"
    server = subprocess.Popen([sys.executable, str(CLI), "serve", str(sock)], stdout=subprocess.PIPE, text=True)
    assert server.stdout.readline().strip() == "ready"
    yield f'aws() {{ "{sys.executable}" -S -E "{CLI}" call "{sock}" --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }}'
    server.kill()
    server.wait()


def _run(seed: str, text: str, url: str, cwd: Path, cli: str) -> subprocess.CompletedProcess:
    """In `cwd`: seed 002's `s3api get-object ... terraform.tfstate` writes its download there."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(sandbox.FAKE_CREDENTIALS, AWS_ENDPOINT_URL=url, AWS_DEFAULT_REGION=REGION[seed], PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}")
    return subprocess.run(["bash", "-c", f"{cli}\n{text}"], capture_output=True, text=True, env=env, timeout=60, cwd=cwd)


# What an answer says about itself, not what was asked for: a page of nothing still names what it searched
_ABOUT = {"searchedLogStreams", "NextToken", "nextToken", "nextForwardToken", "nextBackwardToken", "Count", "ScannedCount", "ConsumedCapacity",
          "ResponseMetadata", "Label", "Id", "StatusCode", "Messages"}


def _has_data(out: str) -> bool:
    """Data, not nothing: no output, `None`, `0`, `[]`, or an answer all of whose values (past what it says about
    itself) are empty: `{"events": [], "searchedLogStreams": [...]}` and a metric result with no values hold nothing."""
    try:
        answer = json.loads(out)
    except ValueError:
        return out.strip() not in ("", "None", "0")
    return _holds(answer)


def _holds(value) -> bool:
    if isinstance(value, dict):
        return any(_holds(v) for k, v in value.items() if k not in _ABOUT)
    if isinstance(value, list):
        return any(_holds(v) for v in value)
    return value not in (None, "", False) and value != 0


@pytest.mark.parametrize("seed", sorted(REGION))
def test_the_seeds_read_only_commands_return_data(seed, names, sandbox_url, tmp_path, aws_cli):
    (path,) = SEEDS.glob(f"{seed}_*.txt")
    found = commands(path)
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda c: _run(seed, _fill(c[1], names), sandbox_url, tmp_path, aws_cli), found))
    wrong = []
    for (line, text), res in zip(found, results):
        key, ok = (seed, line), res.returncode == 0 and _has_data(res.stdout)
        if text.startswith("aws logs tail"):  # aws-cli v2's command; v1 (the one pip installs) answers "Invalid choice"
            if res.returncode != 2:
                wrong.append(f"line {line}: aws logs tail ran on aws-cli v1? exit {res.returncode}")
        elif key in BROKEN or key in MISSING:
            if res.returncode == 0 and _has_data(res.stdout) and key not in DAY_ONLY:
                wrong.append(f"line {line} now works: take it off the list: {text[:90]}")
        elif key in EMPTY_IS_RIGHT:
            if res.returncode != 0:
                wrong.append(f"line {line} exit {res.returncode}: {res.stderr.strip()[-160:]}: {text[:90]}")
        elif not ok:
            wrong.append(f"line {line} exit {res.returncode} {('stdout ' + res.stdout.strip()[:40]) if res.returncode == 0 else res.stderr.strip()[-160:]}: {text[:100]}")
    print(f"seed {seed}: {len(found) - len(wrong)} of {len(found)} read-only commands as expected")
    assert not wrong, "\n".join(wrong)


def test_the_extraction_finds_every_kind_of_command():
    (path,) = SEEDS.glob("003_*.txt")
    texts = [t for _, t in commands(path)]
    assert any(t.startswith("aws ecs describe-services") and "--query 'services[0].runningCount'" in t for t in texts)  # continued lines joined
    assert any(t.startswith("aws s3 ls s3://rms-alb-logs/AWSLogs/$(aws sts get-caller-identity") for t in texts)  # a nested command stays inside
    assert not any(t.startswith("aws sts get-caller-identity --query Account") for t in texts)
    assert _simple_command("aws logs tail G --follow | grep x") == "aws logs tail G --follow"
    assert _simple_command("aws cloudformation describe-stacks --query \"Stacks[0].StackStatus\"'") == "aws cloudformation describe-stacks --query \"Stacks[0].StackStatus\""
    assert _simple_command("aws ec2 describe-instances --instance-ids <INSTANCE_ID> > out.json") == "aws ec2 describe-instances --instance-ids <INSTANCE_ID>"
    assert _simple_command("aws rds describe-db-instances --query 'a|b' 2>/dev/null") == "aws rds describe-db-instances --query 'a|b'"
