"""HTTP Basic auth as the StarRocks FE and BE check it."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from .. import passwords
from ..http import basic_auth, json_response

if TYPE_CHECKING:
    from ..config import SandboxConfig


def check(config: SandboxConfig, request: Request) -> str | None:
    """The authenticated user name, or None when credentials are missing or wrong."""
    creds = basic_auth(request)
    if creds is None:
        return None
    user, password = creds
    # StarRocks accepts user@host style names ("root@%"); only the user part is checked here.
    name = user.split("@", 1)[0]
    # Both checks always run, so the time taken does not tell a wrong name from a wrong password.
    name_ok = passwords.same(name, config.fe_user)
    password_ok = passwords.check_mysql_native(_stored(config.fe_password), password)
    if name_ok and password_ok:
        return name
    return None


@functools.lru_cache(maxsize=4)
def _stored(password: str) -> str:
    """The user's password as the FE keeps it (its MySQL native hash)."""
    return passwords.mysql_native(password)


def fe_unauthorized(request: Request) -> Response:
    """The FE's 401 (RestBaseAction): a RestBaseResult (lowercase keys) and a Basic challenge."""
    creds = basic_auth(request)
    if creds is None:
        msg = "Need auth information."
    else:
        host = request.client.host if request.client else "unknown"
        msg = f"Access denied for {creds[0]}@{host}"
    return json_response(
        {"status": "FAILED", "code": "1", "msg": msg, "message": msg},
        status=401,
        headers={"WWW-Authenticate": 'Basic realm=""'},
    )
