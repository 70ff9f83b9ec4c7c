"""Seed 001 "Suspected Security Breach", step 1 "Isolate affected systems": a deny-all resource policy on
the API (`aws apigateway update-rest-api --patch-ops op=replace,path=/policy,...`), undone by the policy it
replaced; and `aws cognito-idp admin-user-global-sign-out` for a compromised user, which has no undo."""

import json

from . import Action, Change

DENY_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}  # the seed's


def _policy(text: str | None) -> dict | None:
    """API Gateway hands the policy back as escaped JSON text; "" or none is no policy."""
    if not text:
        return None
    try:
        return json.loads(text.replace('\\"', '"'))
    except ValueError:
        return {"unreadable": text}


class SetApiPolicy(Action):
    verb = "set-api-policy"
    permissions = ("apigateway:GET", "apigateway:PATCH")
    max_resources = 1

    def __init__(self, api_id: str, policy: dict | None = None):
        self.api_id, self.policy = api_id, policy  # None: no resource policy

    def describe(self) -> str:
        return f"set-api-policy {self.api_id} to {'deny-all (isolated)' if self.policy == DENY_ALL else 'no policy' if self.policy is None else 'its earlier policy'}"

    def args(self) -> dict:
        return {"api_id": self.api_id, "policy": self.policy}

    def capture(self, aws) -> dict:
        api = aws.client("apigateway").get_rest_api(restApiId=self.api_id)
        return {"name": api.get("name", ""), "policy": _policy(api.get("policy"))}

    def plan(self, before: dict) -> list[Change]:
        if before["policy"] == self.policy:
            return []
        shown = lambda p: "(none: open)" if p is None else "deny-all (isolated)" if p == DENY_ALL else json.dumps(p, sort_keys=True)
        return [Change(f"{before['name']} ({self.api_id})", "resource policy", shown(before["policy"]), shown(self.policy))]

    def apply(self, aws, changes) -> None:
        value = json.dumps(self.policy) if self.policy is not None else ""
        aws.client("apigateway").update_rest_api(restApiId=self.api_id, patchOperations=[{"op": "replace", "path": "/policy", "value": value}])

    def undo(self, before: dict, changes) -> list["SetApiPolicy"]:
        return [SetApiPolicy(self.api_id, before["policy"])]

    @classmethod
    def isolate(cls, api: dict | None, requested: bool) -> list["SetApiPolicy"]:
        """The seed's deny-all policy on the API, when asked for."""
        return [cls(api["id"], DENY_ALL)] if requested and api else []


class GlobalSignOut(Action):
    verb = "global-sign-out"
    permissions = ("cognito-idp:AdminGetUser", "cognito-idp:AdminUserGlobalSignOut")
    max_resources = 1
    undo_note = "a sign-out has no undo: the user signs in again, once their password is reset"

    def __init__(self, pool_id: str, username: str):
        self.pool_id, self.username = pool_id, username
        self.signed_out = False

    def describe(self) -> str:
        return f"global-sign-out {self.username}"

    def args(self) -> dict:
        return {"pool_id": self.pool_id, "username": self.username}

    def capture(self, aws) -> dict:
        user = aws.client("cognito-idp").admin_get_user(UserPoolId=self.pool_id, Username=self.username)
        return {"status": user.get("UserStatus", ""), "enabled": user.get("Enabled", True)}

    def plan(self, before: dict) -> list[Change]:
        return [Change(f"{self.pool_id}/{self.username}", "sessions", f"{before['status']}, tokens valid until they expire",
                       "signed out everywhere: every refresh token revoked")]

    def apply(self, aws, changes) -> None:
        aws.client("cognito-idp").admin_user_global_sign_out(UserPoolId=self.pool_id, Username=self.username)
        self.signed_out = True

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        """Cognito lists no sessions to read back: the accepted call is the evidence."""
        return self.signed_out, "AdminUserGlobalSignOut accepted: refresh tokens issued before it are revoked" if self.signed_out else "not signed out"

    @classmethod
    def requested(cls, pool: dict | None, username: str) -> list["GlobalSignOut"]:
        return [cls(pool["Id"], username)] if pool and username else []
