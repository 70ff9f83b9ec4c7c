# %% [markdown]
# # IAM role setup
#
# - **Purpose:** The role seed 002 "IAM Setup" describes, from its documents in `parameters/iam/` (trust policy, one inline policy): whether it exists as they say, the guarded setup that makes it so, and IAM's simulator asked what it may do: every action the document grants allowed, and a few it must never do denied. Its ARN, for AutoStack's settings.
# - **When to use:** Setting AutoStack up in an account, after editing the policy document, and for seed 002 "Rotate AWS IAM Role" (`-p role_name=AutoStackTerraformRoleV2`); read-only by default, so it can run weekly to catch a role edited by hand.
# - **Expected time:** under 5 seconds.
# - **Impact:** Changes nothing unless confirmed (`-p confirm=PLAN-...`; `true` outside production): `create-role` (or `update-assume-role-policy`) and `put-role-policy`, and `delete-role-policy` / `detach-role-policy` of what the role holds that the documents do not name. `opslib undo RUN-ID` removes what it made (a role it created, with its policy) or puts back the documents and policies the role had, and nothing else.
# - **Replaces:** seed 002 "Setup Commands" (`aws iam create-role --role-name AutoStackTerraformRole --assume-role-policy-document file://trust-policy.json`, `aws iam put-role-policy --role-name AutoStackTerraformRole --policy-name AutoStackMinimalPolicy --policy-document file://minimal-policy.json`, `aws iam get-role --query 'Role.Arn'`).
# - **Catches:** none of the scenarios: a role's policy edited by hand (tests/test_hand_made_faults.py).

# %%
from opslib import advice, runbook
from opslib.actions.iam_roles import SetupRole
from opslib.checks import iam_roles as role_checks
from opslib.services import iam_roles

# %% tags=["parameters"]
env: str = "sandbox"  # environment: parameters/<env>.yaml
role_name: str = "AutoStackTerraformRole"  # the role (seed 002); its successor when rotating: AutoStackTerraformRoleV2
policy_name: str = "AutoStackMinimalPolicy"  # its inline policy (seed 002)
policy_file: str = "parameters/iam/autostack-terraform-policy.json"  # seed 002's "Minimal IAM Policy", as a file
trust_file: str = "parameters/iam/autostack-terraform-trust.json"  # who may assume it (the account's own principals)
must_not: list = ["iam:CreateUser", "iam:PutUserPolicy", "iam:CreateAccessKey", "s3:DeleteBucket", "dynamodb:DeleteTable", "ec2:TerminateInstances"]  # actions the role must be denied
confirm: bool = False  # apply: the plan id the dry run printed (true outside production applies the plan made now)
change_ref: str = ""  # change or incident reference, required in production

# %%
rb = runbook.start("security/iam-role-setup", globals())
policy, trust = iam_roles.document(policy_file), iam_roles.document(trust_file)  # bad input: exit 2 before AWS is asked
rb

# %% [markdown]
# ## 1. The role now, against its documents
# `aws iam get-role --role-name ROLE`, `list-role-policies` with `get-role-policy`, and `list-attached-role-policies`: its trust and inline policy compared with the files, and whatever else it holds.

# %%
state = rb.fetch("iam_role_matches", role_name, iam_roles.role_state, role_name, policy_name)
rb.judge(role_checks.matches, state, trust, policy, policy_name)

# %% [markdown]
# ## 2. Make it so (guarded)
# `aws iam create-role` (or `update-assume-role-policy`) and `aws iam put-role-policy`, then read back. Planned by default; applied only with `confirm` or the button.

# %%
made = rb.act_all([SetupRole(role_name, trust, policy_name, policy)], confirm=confirm, change_ref=change_ref, fixes=True)

# %% [markdown]
# ## 3. What IAM says it may do
# `aws iam simulate-principal-policy` for each statement's actions on its resources, and for the actions it must not do.

# %%
simulated = rb.fetch("iam_role_simulated", role_name, iam_roles.simulate_role, role_name, policy, must_not)
rb.judge(role_checks.simulated, simulated, must_not)

# %% [markdown]
# ## Next

# %%
rb.next(advice.after_change("iam-role-setup", rb.results, made, rb.run_id, rb.incident, env, rb.asked))

# %%
rb.summary()
