"""Huawei Cloud authentication against the sandbox: IAM password tokens (cached, renewed before
expiry, renewed once after a 401) and AK/SK signatures, their refusals, and no secret in any error,
repr or debug log line."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from conftest import SandboxProcess
from pydantic import SecretStr
from sandboxclock import advance

from gui.api import errors
from gui.api.huawei import AkSkCredentials, HuaweiCloudClient, PasswordCredentials
from gui.api.transport import TransportConfig

FAST = TransportConfig(retries=1, backoff_base=0.01, backoff_max=0.05)
# Long enough that the wall clock never reaches it during a test: the sandbox's clock is moved.
TOKEN_SECONDS = 600


def make(
    sp: SandboxProcess, creds: PasswordCredentials | AkSkCredentials, **kwargs: Any
) -> HuaweiCloudClient:
    return HuaweiCloudClient(
        region=sp.info["huawei"]["region"],
        credentials=creds,
        endpoint=sp.url,
        iam_endpoint=sp.url,
        config=FAST,
        **kwargs,
    )


def password(sp: SandboxProcess, **override: str) -> PasswordCredentials:
    hw = sp.info["huawei"]
    values = {"user": hw["iam_user"], "password": hw["iam_password"], "domain": hw["iam_domain"], **override}
    return PasswordCredentials(
        user=values["user"], password=SecretStr(values["password"]), domain=values["domain"]
    )


def aksk(sp: SandboxProcess, **override: str) -> AkSkCredentials:
    hw = sp.info["huawei"]
    values = {"ak": hw["ak"], "sk": hw["sk"], **override}
    return AkSkCredentials(ak=values["ak"], sk=SecretStr(values["sk"]))


def http_lines(caplog: pytest.LogCaptureFixture, prefix: str, fragment: str = "") -> int:
    return sum(
        1
        for r in caplog.records
        if r.name == "starrocks_console.http"
        and r.getMessage().startswith(prefix)
        and fragment in r.getMessage()
    )


def assert_no_secret(secrets: list[str], *texts: str, caplog: pytest.LogCaptureFixture | None = None) -> None:
    pool = list(texts)
    if caplog is not None:
        pool += [r.getMessage() for r in caplog.records]
        pool += [str(r.args) for r in caplog.records]
    for secret in secrets:
        assert secret, "empty secret in the check"
        for text in pool:
            assert secret not in text, f"secret leaked into: {text[:200]}"


def error_texts(e: errors.ApiError) -> list[str]:
    return [str(e), repr(e), e.message, e.hint or "", repr(e.raw), repr(e.args)]


# -- tokens -----------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_token_is_cached_and_shared(sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="starrocks_console")
    async with make(sandbox, password(sandbox)) as hw:
        results = await asyncio.gather(*(hw.list_datastores() for _ in range(5)))
        assert all(r and r[0].name == "3.1" for r in results)
        await hw.list_taurus_instances()
        assert hw.token_source is not None and hw.token_source.logins == 1
        token = hw.token_source.token
        assert token is not None and token.project_id == sandbox.info["huawei"]["project_id"]
        assert token.user_name == sandbox.info["huawei"]["iam_user"]
        assert token.seconds_left(time.time()) > 3600
        assert http_lines(caplog, "-> POST", "/v3/auth/tokens") == 1
        secret = token.value.get_secret_value()
        assert_no_secret(
            [secret, sandbox.info["huawei"]["iam_password"]], repr(token), str(token), caplog=caplog
        )
        assert any("'x-auth-token': '***'" in r.getMessage() for r in caplog.records)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_token_renewed_before_it_expires(
    sandbox_factory: Callable[..., SandboxProcess], caplog: pytest.LogCaptureFixture
) -> None:
    sp = sandbox_factory("--token-seconds", str(TOKEN_SECONDS))
    caplog.set_level(logging.DEBUG, logger="starrocks_console")
    # Time passes for both: the sandbox's clock is moved, and the client reads one moved alike.
    moved = [0.0]
    async with make(sp, password(sp), clock=lambda: time.time() + moved[0]) as hw:
        await hw.list_datastores()
        assert hw.token_source is not None
        first = hw.token_source.token
        assert first is not None and first.lifetime == pytest.approx(TOKEN_SECONDS)
        # Five seconds before it expires: inside the client's margin (a tenth of its life).
        moved[0] = advance(sp, TOKEN_SECONDS - 5)["offset"]
        await hw.list_datastores()
        assert hw.token_source.logins == 2 and hw.token_source.token is not first
        # Renewed from its expiry, so the service never had to refuse it.
        assert http_lines(caplog, "<- 401") == 0


@pytest.mark.slow
@pytest.mark.asyncio
async def test_refused_token_is_renewed_once_and_the_call_retried(
    sandbox_factory: Callable[..., SandboxProcess], caplog: pytest.LogCaptureFixture
) -> None:
    """A computer clock an hour behind keeps a token the service has already expired: the 401 is
    answered by logging in again and sending the call once more."""
    sp = sandbox_factory("--token-seconds", str(TOKEN_SECONDS))
    caplog.set_level(logging.DEBUG, logger="starrocks_console")
    async with make(sp, password(sp), clock=lambda: time.time() - 3600) as hw:
        await hw.list_datastores()
        advance(sp, TOKEN_SECONDS)
        caplog.clear()
        stores = await hw.list_datastores()
        assert stores and stores[0].name == "3.1"
        assert hw.token_source is not None and hw.token_source.logins == 2
        assert http_lines(caplog, "-> GET", "/htap/datastores/") == 2
        assert http_lines(caplog, "<- 401", "/htap/datastores/") == 1
        assert http_lines(caplog, "-> POST", "/v3/auth/tokens") == 1
        # A change is retried after a renewed token too: the refused attempt did nothing.
        advance(sp, TOKEN_SECONDS)
        job = await hw.restart_starrocks_instance("5a0c7e1f2b3d4c5e8f9a0b1c2d3e4f50in17")
        assert job and hw.token_source.logins == 3


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "override",
    [{"password": "Wrong@Pass1"}, {"user": "nobody"}, {"domain": "other-account"}],
)
async def test_wrong_iam_credentials(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture, override: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG, logger="starrocks_console")
    async with make(sandbox, password(sandbox, **override)) as hw:
        with pytest.raises(errors.AuthError) as info:
            await hw.list_datastores()
        e = info.value
        assert e.service == "Huawei IAM" and e.status == 401 and e.request_id
        assert e.message and "password" in (e.hint or "") and "account" in (e.hint or "")
        assert_no_secret(
            ["Wrong@Pass1", sandbox.info["huawei"]["iam_password"]], *error_texts(e), caplog=caplog
        )
        # Nothing reached TaurusDB without a token.
        assert http_lines(caplog, "-> GET", "/htap/") == 0


# -- AK/SK ------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_aksk_finds_its_project_and_signs(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="starrocks_console")
    async with make(sandbox, aksk(sandbox)) as hw:
        assert await hw.project_id() == sandbox.info["huawei"]["project_id"]
        assert (await hw.list_taurus_instances()).total_count == 2
        assert http_lines(caplog, "-> GET", "/v3/projects?name=") == 1
        assert any(
            "'x-sdk-date'" in m and "'x-project-id'" in m and "'authorization': '***'" in m
            for m in (r.getMessage() for r in caplog.records)
        )
    assert_no_secret([sandbox.info["huawei"]["sk"]], caplog=caplog)


@pytest.mark.asyncio
@pytest.mark.parametrize("project", [True, False])
@pytest.mark.parametrize(
    "override", [{"sk": "wrongSecretKey0123456789abcdefghijklmn"}, {"ak": "NOSUCHACCESSKEY00001"}]
)
async def test_wrong_aksk(
    sandbox: SandboxProcess, caplog: pytest.LogCaptureFixture, project: bool, override: dict[str, str]
) -> None:
    caplog.set_level(logging.DEBUG, logger="starrocks_console")
    hw_info = sandbox.info["huawei"]
    async with make(
        sandbox, aksk(sandbox, **override), project_id=hw_info["project_id"] if project else None
    ) as hw:
        with pytest.raises(errors.AuthError) as info:
            await hw.list_taurus_instances()
        e = info.value
        # Without a project id the first call is IAM's project lookup.
        assert e.service == ("Huawei Cloud" if project else "Huawei IAM")
        assert e.status == 401 and e.code == "APIGW.0301" and e.request_id
        assert "secret key" in (e.hint or "") and "clock" in (e.hint or "")
        assert_no_secret([hw_info["sk"], override.get("sk", hw_info["sk"])], *error_texts(e), caplog=caplog)


@pytest.mark.slow
@pytest.mark.asyncio
async def test_everything_stays_secret(
    sandbox_factory: Callable[..., SandboxProcess], caplog: pytest.LogCaptureFixture
) -> None:
    """Passwords, the SK and tokens never reach an error, a repr or a debug line, whatever fails."""
    sp = sandbox_factory()
    caplog.set_level(logging.DEBUG)
    hw_info = sp.info["huawei"]
    texts: list[str] = []
    secrets = [hw_info["iam_password"], hw_info["sk"], "Root@Secret77", "User#Secret88", "Other@Secret99"]
    body = {
        "name": "htap-secret",
        "engine": {"type": "star-rocks", "version": "3.1"},
        "ha": {"mode": "Single"},
        "fe_flavor_id": "afef3bfd-ac7c-32e1-ba44-c388acbb196a",
        "be_flavor_id": "no-such-flavor",
        "db_root_pwd": "Root@Secret77",
        "fe_count": 1,
        "be_count": 1,
        "fe_volume": {"io_type": "SSD", "capacity_in_gb": 50},
        "be_volume": {"io_type": "SSD", "capacity_in_gb": 50},
        "az_code": "cn-north-4a",
    }
    for creds in (password(sp), aksk(sp)):
        async with make(sp, creds) as hw:
            texts.append(repr(hw))
            texts.append(repr(creds))
            for call in (
                lambda: hw.create_starrocks_instance("40dc4c5729f14aad893e2dcd5baf6a15in07", body),
                lambda: hw.create_starrocks_instance(
                    "40dc4c5729f14aad893e2dcd5baf6a15in07", {**body, "fe_count": 2}
                ),
                lambda: hw.create_database_user(
                    "5a0c7e1f2b3d4c5e8f9a0b1c2d3e4f50in17",
                    {"user_name": "leak_check", "password": "User#Secret88", "databases": ["nodb"]},
                ),
                lambda: hw.update_database_user_password(
                    "5a0c7e1f2b3d4c5e8f9a0b1c2d3e4f50in17", "nouser", "Other@Secret99"
                ),
            ):
                with pytest.raises(errors.ApiError) as info:
                    await call()
                texts += error_texts(info.value)
            if hw.token_source is not None and hw.token_source.token is not None:
                token = hw.token_source.token
                secrets.append(token.value.get_secret_value())
                texts += [repr(token), repr(hw.token_source), repr(hw.http.auth)]
    for creds in (password(sp, password="Bad@Password5"), aksk(sp, sk="badSecret0123456789")):
        async with make(sp, creds) as hw:
            with pytest.raises(errors.AuthError) as info:
                await hw.list_datastores()
            texts += error_texts(info.value)
    secrets += ["Bad@Password5", "badSecret0123456789"]
    assert_no_secret(secrets, *texts, caplog=caplog)
