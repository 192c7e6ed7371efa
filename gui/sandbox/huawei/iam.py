"""IAM: password tokens (``POST /v3/auth/tokens``), the project list the SDK uses to find a project
id, and the checks the API gateway makes on every TaurusDB call (token or AK/SK signature)."""

from __future__ import annotations

import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .. import passwords
from . import errors, signing
from .errors import ApiError, KeystoneError

if TYPE_CHECKING:
    from ..app import Sandbox

TOKEN_KIND = "hw_token"


def iso_millis(ts: float) -> str:
    """IAM's timestamp format, e.g. ``2026-01-02T03:04:05.123000Z``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _stable_hex(*parts: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, "sandbox/iam/" + "/".join(parts)).hex


@dataclass
class Principal:
    """Who a request runs as, after the gateway's checks."""

    project_id: str | None
    via: str  # "token" or "aksk"


class Iam:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    # -- identities ----------------------------------------------------------------------------
    @property
    def domain_id(self) -> str:
        return _stable_hex("domain", self.sb.config.huawei.iam_domain)

    @property
    def user_id(self) -> str:
        c = self.sb.config.huawei
        return _stable_hex("user", c.iam_domain, c.iam_user)

    def project(self) -> dict[str, Any]:
        c = self.sb.config.huawei
        return {"id": c.project_id, "name": c.region}

    # -- POST /v3/auth/tokens ------------------------------------------------------------------
    def issue_token(self, body: Any, nocatalog: bool) -> tuple[str, dict[str, Any]]:
        """Check a password-token request; return (token, response body). Raises KeystoneError."""
        c = self.sb.config.huawei
        try:
            auth = body["auth"]
            identity = auth["identity"]
            methods = identity["methods"]
            user = identity["password"]["user"]
            name, password, domain_name = user["name"], user["password"], user["domain"]["name"]
            scope = auth["scope"]
        except (KeyError, TypeError) as e:
            raise KeystoneError(400, f"The request body is invalid: missing {e}.") from e
        if not isinstance(methods, list) or "password" not in methods:
            raise KeystoneError(400, "The request body is invalid: methods must contain password.")
        if not all(isinstance(v, str) for v in (name, password, domain_name)) or not isinstance(scope, dict):
            raise KeystoneError(400, "The request body is invalid.")
        name_ok = passwords.same(name, c.iam_user) & passwords.same(domain_name, c.iam_domain)
        if not (passwords.verify_secret(_stored(c.iam_password), password) and name_ok):
            raise KeystoneError(401, "The username or password is wrong.")
        project_id: str | None = None
        if "project" in scope:
            wanted = scope["project"] if isinstance(scope["project"], dict) else {}
            if wanted.get("id") == c.project_id or (not wanted.get("id") and wanted.get("name") == c.region):
                project_id = c.project_id
            else:
                raise KeystoneError(401, "The project in the scope does not exist or is not in the account.")
        elif "domain" in scope:
            wanted = scope["domain"] if isinstance(scope["domain"], dict) else {}
            if wanted.get("id") != self.domain_id and wanted.get("name") != c.iam_domain:
                raise KeystoneError(401, "The domain in the scope does not exist.")
        else:
            raise KeystoneError(400, "The request body is invalid: scope needs project or domain.")

        issued = self.sb.clock.now()
        expires = issued + self.sb.config.token_seconds
        token = "MII" + secrets.token_urlsafe(384)
        self.sb.store.put(
            TOKEN_KIND,
            hashlib.sha256(token.encode()).hexdigest(),
            {"project_id": project_id, "issued_at": issued, "expires_at": expires},
        )
        domain = {"name": c.iam_domain, "id": self.domain_id}
        result: dict[str, Any] = {
            "expires_at": iso_millis(expires),
            "issued_at": iso_millis(issued),
            "methods": ["password"],
            "roles": [{"name": "te_admin", "id": "0"}, {"name": "op_gated_htap", "id": "0"}],
            "user": {
                "name": c.iam_user,
                "id": self.user_id,
                "password_expires_at": "",
                "domain": domain,
            },
        }
        if project_id is not None:
            result["project"] = {"name": c.region, "id": project_id, "domain": domain}
        else:
            result["domain"] = domain
        if not nocatalog:
            result["catalog"] = self._catalog()
        return token, {"token": result}

    def _catalog(self) -> list[dict[str, Any]]:
        c = self.sb.config.huawei
        url = self.sb.fe_url

        def entry(kind: str, name: str) -> dict[str, Any]:
            return {
                "type": kind,
                "id": _stable_hex("service", kind),
                "name": name,
                "endpoints": [
                    {
                        "url": url,
                        "region": c.region,
                        "region_id": c.region,
                        "interface": "public",
                        "id": _stable_hex("endpoint", kind, c.region),
                    }
                ],
            }

        return [entry("identity", "iam"), entry("gaussdb", "gaussdb")]

    # -- the gateway's checks ------------------------------------------------------------------
    def authenticate(
        self, method: str, raw_path: str, raw_query: str, headers: dict[str, str], body: bytes
    ) -> Principal:
        """The caller's identity from X-Auth-Token or an AK/SK signature; raises the gateway's 401."""
        token = headers.get("x-auth-token")
        if token:
            doc = self.sb.store.get(TOKEN_KIND, hashlib.sha256(token.strip().encode()).hexdigest())
            if doc is None:
                raise errors.gateway_auth("decrypt token fail")
            if self.sb.clock.now() >= float(doc["expires_at"]):
                raise errors.gateway_auth(
                    f"token expires, expires_at: {iso_millis(float(doc['expires_at']))}"
                )
            return Principal(doc.get("project_id"), "token")
        authorization = headers.get("authorization", "")
        if authorization.startswith(signing.ALGORITHM):
            auth = signing.parse_authorization(authorization)
            if auth is None:
                raise errors.gateway_auth("verify aksk signature fail, malformed Authorization header")
            c = self.sb.config.huawei
            if not passwords.same(auth.ak, c.ak):
                raise errors.gateway_auth(f"Get secretKey failed,ak:{auth.ak},err:ak not exist")
            try:
                # Checked against the wall clock, not the sandbox's: the signer dates a request by the
                # caller's clock, and moving the sandbox's time stands for time passing for the caller
                # too, whose clock the switch cannot move.
                signing.verify(auth, c.sk, method, raw_path, raw_query, headers, body)
            except signing.SignatureError as e:
                raise errors.gateway_auth(str(e)) from e
            return Principal(headers.get("x-project-id", c.project_id).strip(), "aksk")
        raise errors.gateway_auth("x-auth-token not found")

    def require_project(self, principal: Principal, project_id: str) -> None:
        """A call on /v3/{project_id}/... must be made for the caller's own project."""
        if principal.project_id != project_id or project_id != self.sb.config.huawei.project_id:
            raise ApiError(403, errors.NOT_AUTHORISED)

    def projects(self, name: str | None) -> dict[str, Any]:
        c = self.sb.config.huawei
        rows = [
            {
                "id": c.project_id,
                "name": c.region,
                "domain_id": self.domain_id,
                "parent_id": self.domain_id,
                "description": "",
                "enabled": True,
                "is_domain": False,
                "links": {"self": f"{self.sb.fe_url}/v3/projects/{c.project_id}"},
            }
        ]
        if name is not None:
            rows = [r for r in rows if r["name"] == name]
        return {
            "projects": rows,
            "links": {"self": f"{self.sb.fe_url}/v3/projects", "previous": None, "next": None},
        }


@functools.lru_cache(maxsize=4)
def _stored(password: str) -> str:
    """The IAM user's password as the service keeps it: a salted hash, made once per run."""
    return passwords.hash_secret(password)
