"""Huawei Cloud credentials: IAM password tokens and AK/SK, chosen per profile.

A token profile logs in to IAM with the IAM user's password (``POST /v3/auth/tokens``), keeps the
token from ``X-Subject-Token`` until shortly before its ``expires_at`` and sends it as
``X-Auth-Token``. When the service still refuses it (revoked, or this computer's clock is behind)
the token is renewed once and the call sent again once. An AK/SK profile signs each request
instead (see ``signer``); its project id is looked up in IAM by region name when not given.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncGenerator, Callable, Generator
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, field_validator, model_validator

from .. import errors
from ..base import ServiceClient, body_of
from ..transport import TransportConfig
from . import failures
from .models import IamProject, IamToken, _invalid
from .regions import check_region
from .signer import AkSkAuth

log = logging.getLogger("starrocks_console.huawei")

JSON_UTF8 = "application/json;charset=UTF-8"
IAM_SERVICE = "Huawei IAM"
PASSWORD_HINT = (
    "check the profile's IAM user name, password and account (domain) name, and that the IAM user "
    "may use the API (programmatic access); several wrong passwords lock the IAM user for a while"
)
TOKEN_HINT = (
    "the IAM token was refused even after logging in again: check the profile's project and region, "
    "and that this computer's clock is right"
)
AKSK_HINT = (
    "check the profile's access key (AK) and secret key (SK), that the key is enabled, and that this "
    "computer's clock is right (signatures more than 15 minutes off are refused)"
)
_PROJECT_ID = re.compile(r"^[A-Za-z0-9]{32}$")


# -- credentials and profiles -----------------------------------------------------------------------


class PasswordCredentials(BaseModel):
    """An IAM user and its password, in an account (domain)."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True, extra="forbid")

    user: str
    password: SecretStr
    domain: str

    @field_validator("user", "domain")
    @classmethod
    def _required(cls, v: str) -> str:
        if not v.strip():
            raise _invalid("the IAM user name and the account (domain) name are required")
        return v

    @field_validator("password")
    @classmethod
    def _password(cls, v: SecretStr) -> SecretStr:
        if not v.get_secret_value():
            raise _invalid("the IAM password is required")
        return v


class AkSkCredentials(BaseModel):
    """An access key / secret key pair (``security_token`` for temporary keys)."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True, extra="forbid")

    ak: str
    sk: SecretStr
    security_token: SecretStr | None = None

    @field_validator("ak")
    @classmethod
    def _ak(cls, v: str) -> str:
        if not v.strip():
            raise _invalid("the access key (AK) is required")
        return v.strip()

    @field_validator("sk")
    @classmethod
    def _sk(cls, v: SecretStr) -> SecretStr:
        if not v.get_secret_value():
            raise _invalid("the secret key (SK) is required")
        return v


Credentials = PasswordCredentials | AkSkCredentials


def check_project_id(value: str) -> str:
    if not _PROJECT_ID.match(value):
        raise _invalid("a project id is 32 letters and digits (My Credentials > API Credentials)")
    return value


class HuaweiProfile(BaseModel):
    """What the console keeps per Huawei Cloud connection. ``endpoint`` and ``iam_endpoint``
    override the region's public addresses (private endpoints, proxies, the sandbox)."""

    model_config = ConfigDict(hide_input_in_errors=True, extra="forbid", validate_assignment=True)

    region: str
    auth: Literal["password", "aksk"] = "password"
    project_id: str | None = None
    endpoint: str | None = None
    iam_endpoint: str | None = None
    iam_user: str | None = None
    iam_domain: str | None = None
    iam_password: SecretStr | None = None
    access_key: str | None = None
    secret_key: SecretStr | None = None
    security_token: SecretStr | None = None
    language: Literal["en-us", "zh-cn"] = "en-us"

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        try:
            return check_region(v)
        except ValueError as e:
            raise _invalid(str(e)) from None

    @field_validator("project_id")
    @classmethod
    def _project(cls, v: str | None) -> str | None:
        return check_project_id(v) if v else None

    @field_validator("endpoint", "iam_endpoint")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v and not re.match(r"^https?://[^/\s]+", v):
            raise _invalid("an address starts with https:// (or http:// for a local test service)")
        return v.rstrip("/") if v else None

    @model_validator(mode="after")
    def _complete(self) -> HuaweiProfile:
        if self.auth == "password":
            if not (self.iam_user and self.iam_domain and self.iam_password):
                raise _invalid("a password profile needs the IAM user, its account (domain) and password")
        elif not (self.access_key and self.secret_key):
            raise _invalid("an AK/SK profile needs the access key and the secret key")
        return self

    def credentials(self) -> Credentials:
        if self.auth == "password":
            assert self.iam_user and self.iam_domain and self.iam_password
            return PasswordCredentials(user=self.iam_user, password=self.iam_password, domain=self.iam_domain)
        assert self.access_key and self.secret_key
        return AkSkCredentials(ak=self.access_key, sk=self.secret_key, security_token=self.security_token)


# -- IAM ---------------------------------------------------------------------------------------------


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class IamClient(ServiceClient):
    """The two IAM calls the console needs: a password token, and the project id of a region."""

    service = IAM_SERVICE

    def __init__(self, base_url: str, config: TransportConfig | None = None) -> None:
        super().__init__(base_url, config)

    def error_for(self, response: httpx.Response) -> errors.ApiError:
        signed = response.request.headers.get("Authorization", "").startswith("SDK-HMAC")
        hint = AKSK_HINT if signed else PASSWORD_HINT
        return failures.error_for(response, service=self.service, auth_hint=hint)

    async def create_token(
        self,
        credentials: PasswordCredentials,
        *,
        project_id: str | None = None,
        project_name: str | None = None,
    ) -> IamToken:
        """Log in; the token is scoped to the project (by id, else by name), or to the account
        when neither is given."""
        scope: dict[str, Any]
        if project_id:
            scope = {"project": {"id": project_id}}
        elif project_name:
            scope = {"project": {"name": project_name}}
        else:
            scope = {"domain": {"name": credentials.domain}}
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": credentials.user,
                            "password": credentials.password.get_secret_value(),
                            "domain": {"name": credentials.domain},
                        }
                    },
                },
                "scope": scope,
            }
        }
        # Logging in has no side effect, so a failed connection may be retried.
        response = await self.call(
            "POST",
            "/v3/auth/tokens",
            params={"nocatalog": "true"},
            content=json.dumps(body).encode(),
            headers={"Content-Type": JSON_UTF8},
            retry=True,
        )
        value = response.headers.get("X-Subject-Token")
        data = body_of(response)
        token = data.get("token") if isinstance(data, dict) else None
        expires = _parse_time(token.get("expires_at")) if isinstance(token, dict) else None
        if not value or not isinstance(token, dict) or expires is None:
            raise errors.ServerError(
                "IAM answered the login without a token (X-Subject-Token) or its expiry",
                service=self.service,
                status=response.status_code,
                hint="check that the IAM address of the profile is an IAM endpoint",
            )
        project = _dict(token.get("project"))
        user = _dict(token.get("user"))
        domain = _dict(user.get("domain"))
        return IamToken(
            value=SecretStr(value),
            expires_at=expires,
            issued_at=_parse_time(token.get("issued_at")),
            project_id=project.get("id"),
            project_name=project.get("name"),
            domain_name=domain.get("name"),
            user_name=user.get("name"),
        )

    async def list_projects(self, *, auth: httpx.Auth, name: str | None = None) -> list[IamProject]:
        """The projects the credentials can see (``GET /v3/projects``), by name if given."""
        params = {"name": name} if name else None
        response = await self.call("GET", "/v3/projects", params=params, auth=auth, retry=True)
        data = body_of(response)
        items = data.get("projects", []) if isinstance(data, dict) else []
        return [IamProject.model_validate(p) for p in items if isinstance(p, dict)]


class TokenSource:
    """Gets, keeps and renews one IAM token for a profile; concurrent callers share one login."""

    def __init__(
        self,
        iam: IamClient,
        credentials: PasswordCredentials,
        *,
        project_id: str | None = None,
        project_name: str | None = None,
        refresh_margin: float = 300.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.iam = iam
        self._credentials = credentials
        self.project_id = project_id
        self.project_name = project_name
        self.refresh_margin = refresh_margin
        self._clock = clock
        self._token: IamToken | None = None
        self._lock = asyncio.Lock()
        self.logins = 0

    def __repr__(self) -> str:
        return f"TokenSource(user={self._credentials.user!r}, domain={self._credentials.domain!r})"

    @property
    def token(self) -> IamToken | None:
        return self._token

    def fresh(self, token: IamToken) -> bool:
        """Still usable: renewed a little before it expires, by a margin that shrinks for
        short-lived tokens (a tenth of their life, at most ``refresh_margin``)."""
        lifetime = token.lifetime or 86400.0
        margin = min(self.refresh_margin, lifetime / 10)
        return token.seconds_left(self._clock()) > margin

    async def get(self) -> IamToken:
        token = self._token
        if token is not None and self.fresh(token):
            return token
        async with self._lock:
            token = self._token
            if token is not None and self.fresh(token):
                return token
            return await self._login()

    async def renew(self, refused: IamToken | None) -> IamToken:
        """A new token in place of one the service refused (unless another call already did it)."""
        async with self._lock:
            if self._token is not None and self._token is not refused:
                return self._token
            return await self._login()

    async def _login(self) -> IamToken:
        token = await self.iam.create_token(
            self._credentials, project_id=self.project_id, project_name=self.project_name
        )
        self.logins += 1
        self._token = token
        log.debug("IAM token for %s valid until %s", token.user_name, token.expires_at.isoformat())
        return token

    def forget(self) -> None:
        self._token = None


class TokenAuth(httpx.Auth):
    """``X-Auth-Token`` from a TokenSource; on a 401 the token is renewed and the request sent again,
    once."""

    def __init__(self, source: TokenSource) -> None:
        self.source = source

    def __repr__(self) -> str:
        return f"TokenAuth({self.source!r})"

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise RuntimeError("IAM token authentication needs the async client")

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = await self.source.get()
        request.headers["X-Auth-Token"] = token.value.get_secret_value()
        response = yield request
        if response.status_code != 401:
            return
        log.info("IAM token refused by %s; logging in again and retrying once", request.url.host)
        token = await self.source.renew(token)
        request.headers["X-Auth-Token"] = token.value.get_secret_value()
        yield request


def aksk_auth(credentials: AkSkCredentials, project_id: str | None = None) -> AkSkAuth:
    return AkSkAuth(
        credentials.ak, credentials.sk, project_id=project_id, security_token=credentials.security_token
    )
