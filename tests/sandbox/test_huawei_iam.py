"""Huawei Cloud IAM tokens and the API gateway's checks: token, AK/SK signature, project, routing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from conftest import SandboxProcess
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.region.region import Region
from huaweicloudsdkgaussdb.v3 import GaussDBClient
from huaweicloudsdkgaussdb.v3 import model as gm
from huaweicloudsdkiam.v3 import IamClient
from huaweicloudsdkiam.v3 import model as im
from sandboxclock import advance
from test_huawei_support import TAURUS_ID, Api, error, get_token, hw, signed, token_body

DATASTORES = "/htap/datastores/star-rocks"


def _iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


# -- tokens ------------------------------------------------------------------------------------
def test_password_token_is_201_with_subject_token_header_and_keystone_body(sandbox: SandboxProcess) -> None:
    h = hw(sandbox)
    r = httpx.post(f"{sandbox.url}/v3/auth/tokens", json=token_body(sandbox))
    assert r.status_code == 201
    assert r.headers["X-Request-Id"]
    assert r.headers["X-Subject-Token"].startswith("MII")
    tok = r.json()["token"]
    assert tok["methods"] == ["password"]
    assert tok["project"]["id"] == h["project_id"] and tok["project"]["name"] == h["region"]
    assert tok["project"]["domain"]["name"] == h["iam_domain"]
    assert tok["user"]["name"] == h["iam_user"] and tok["user"]["domain"]["name"] == h["iam_domain"]
    assert tok["user"]["password_expires_at"] == ""
    assert tok["roles"] and all(set(role) == {"name", "id"} for role in tok["roles"])
    lifetime = _iso(tok["expires_at"]) - _iso(tok["issued_at"])
    assert abs(lifetime.total_seconds() - 24 * 3600) < 2
    gaussdb = [c for c in tok["catalog"] if c["type"] == "gaussdb"]
    assert gaussdb and gaussdb[0]["endpoints"][0]["url"] == sandbox.url
    assert gaussdb[0]["endpoints"][0]["interface"] == "public"


def test_nocatalog_drops_the_catalog(sandbox: SandboxProcess) -> None:
    r = httpx.post(f"{sandbox.url}/v3/auth/tokens", params={"nocatalog": "true"}, json=token_body(sandbox))
    assert r.status_code == 201 and "catalog" not in r.json()["token"]


def test_project_scope_by_id_and_domain_scope(sandbox: SandboxProcess) -> None:
    h = hw(sandbox)
    by_id = httpx.post(
        f"{sandbox.url}/v3/auth/tokens", json=token_body(sandbox, project={"id": h["project_id"]})
    )
    assert by_id.status_code == 201 and by_id.json()["token"]["project"]["id"] == h["project_id"]
    dom = httpx.post(
        f"{sandbox.url}/v3/auth/tokens", json=token_body(sandbox, domain={"name": h["iam_domain"]})
    )
    assert dom.status_code == 201
    assert "project" not in dom.json()["token"] and dom.json()["token"]["domain"]["name"] == h["iam_domain"]
    # A domain-scoped token is valid, but not for a project's API.
    r = httpx.get(
        f"{sandbox.url}/v3/{h['project_id']}{DATASTORES}",
        headers={"X-Auth-Token": dom.headers["X-Subject-Token"]},
    )
    error(r, 403, "DBS.200010")


@pytest.mark.parametrize(
    "field,value",
    [("name", "someone-else"), ("password", "Wrong@2026"), ("domain", {"name": "other-account"})],
)
def test_wrong_credentials_are_401_in_keystone_shape(sandbox: SandboxProcess, field: str, value: Any) -> None:
    body = token_body(sandbox)
    body["auth"]["identity"]["password"]["user"][field] = value
    r = httpx.post(f"{sandbox.url}/v3/auth/tokens", json=body)
    assert r.status_code == 401 and r.headers["X-Request-Id"]
    assert r.json()["error"]["code"] == 401 and r.json()["error"]["title"] == "Unauthorized"
    assert "X-Subject-Token" not in r.headers


def test_unknown_project_in_scope_and_malformed_bodies(sandbox: SandboxProcess) -> None:
    r = httpx.post(f"{sandbox.url}/v3/auth/tokens", json=token_body(sandbox, project={"name": "eu-west-101"}))
    assert r.status_code == 401
    for bad in ({}, {"auth": {"identity": {"methods": ["password"]}}}, [1, 2]):
        r = httpx.post(f"{sandbox.url}/v3/auth/tokens", json=bad)
        assert r.status_code == 400 and r.json()["error"]["code"] == 400
    body = token_body(sandbox)
    body["auth"]["identity"]["methods"] = ["token"]
    assert httpx.post(f"{sandbox.url}/v3/auth/tokens", json=body).status_code == 400
    r = httpx.post(f"{sandbox.url}/v3/auth/tokens", content=b"{not json")
    assert r.status_code == 400


def test_token_is_accepted_and_bad_or_missing_tokens_are_apigw_401(sandbox: SandboxProcess) -> None:
    api = Api(sandbox)
    assert api.ok("GET", DATASTORES)["datastores"][0]["name"] == "3.1"
    url = f"{sandbox.url}/v3/{api.project}{DATASTORES}"
    bad = httpx.get(url, headers={"X-Auth-Token": "MIInot-a-token"})
    body = error(bad, 401, "APIGW.0301")
    assert body["error_msg"] == "Incorrect IAM authentication information: decrypt token fail"
    assert body["request_id"] == bad.headers["X-Request-Id"]
    none = httpx.get(url)
    assert error(none, 401, "APIGW.0301")["error_msg"].endswith("x-auth-token not found")


def test_token_for_another_project_path_is_403(sandbox: SandboxProcess) -> None:
    api = Api(sandbox)
    r = api.client.get(f"/v3/ffffffffffffffffffffffffffffffff{DATASTORES}")
    error(r, 403, "DBS.200010")
    assert r.headers["X-Request-Id"]


def test_unknown_api_and_wrong_method_are_apigw_404(sandbox: SandboxProcess) -> None:
    api = Api(sandbox)
    unknown = api("GET", "/no/such/api")
    assert error(unknown, 404, "APIGW.0101")["request_id"] == unknown.headers["X-Request-Id"]
    # The gateway routes before it authenticates.
    error(httpx.get(f"{sandbox.url}/v3/{api.project}/no/such/api"), 404, "APIGW.0101")
    wrong_method = api("PATCH", DATASTORES)
    assert error(wrong_method, 404, "APIGW.0101")["error_msg"] == "The API does not exist."


@pytest.mark.slow
def test_expired_token_is_refused(sandbox_factory: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARROCKS_SANDBOX_TOKEN_SECONDS", "60")
    sp = sandbox_factory()
    token = get_token(sp)
    url = f"{sp.url}/v3/{hw(sp)['project_id']}{DATASTORES}"
    assert httpx.get(url, headers={"X-Auth-Token": token}).status_code == 200
    advance(sp, 60)
    r = httpx.get(url, headers={"X-Auth-Token": token})
    assert error(r, 401, "APIGW.0301")["error_msg"].startswith(
        "Incorrect IAM authentication information: token expires, expires_at: "
    )


@pytest.mark.slow
def test_tokens_survive_a_restart(sandbox_factory: Any) -> None:
    sp = sandbox_factory()
    token = get_token(sp)
    sp.restart()
    assert Api(sp, token).ok("GET", DATASTORES)["datastores"]


# -- AK/SK -------------------------------------------------------------------------------------
def _path(sp: SandboxProcess, rest: str) -> str:
    return f"/v3/{hw(sp)['project_id']}{rest}"


def test_sdk_signed_get_with_query_and_post_with_body_are_accepted(sandbox: SandboxProcess) -> None:
    r = signed(
        sandbox,
        "GET",
        _path(sandbox, "/instances"),
        query=[("name", "*taurus"), ("limit", 10), ("offset", 0)],
    )
    assert r.status_code == 200, r.text
    assert r.headers["X-Request-Id"] and r.json()["total_count"] == 2
    check = {
        "action": "createInstance",
        "resource": {
            "enterprise_project_id": "0",
            "instance_num": 1,
            "mode": "Single",
            "availability_zone_mode": "single",
            "fe_node_num": 1,
            "be_node_num": 1,
            "fe_flavor_ref": "gaussdb.sr-fe.xlarge.x86.4",
            "be_flavor_ref": "gaussdb.sr-be.xlarge.x86.4",
            "subnet_id": "2ce0bc80-bfc5-4d5e-9b78-a7f91572e03b",
        },
    }
    r = signed(sandbox, "POST", _path(sandbox, "/starrocks/resource-check"), body=check)
    assert r.status_code == 200 and r.json() == {"result": True}, r.text


def test_query_sent_in_another_order_still_verifies(sandbox: SandboxProcess) -> None:
    def reorder(headers: dict[str, str], content: bytes, uri: str) -> tuple[dict[str, str], bytes, str]:
        path, _, query = uri.partition("?")
        return headers, content, path + "?" + "&".join(reversed(query.split("&")))

    r = signed(
        sandbox, "GET", _path(sandbox, "/instances"), query=[("limit", 1), ("offset", 1)], tamper=reorder
    )
    assert r.status_code == 200 and r.json()["instances"][0]["name"] == "taurus-reporting"


def test_unsigned_payload_for_non_json_bodies(sandbox: SandboxProcess) -> None:
    # The SDK marks a non-JSON body UNSIGNED-PAYLOAD; the service still reads it as JSON.
    r = signed(
        sandbox,
        "POST",
        _path(sandbox, "/starrocks/resource-check"),
        body={"action": "createInstance"},
        headers={"Content-Type": "text/plain"},
    )
    error(r, 400, "DBS.200001")  # past the gateway: refused by the service for the missing resource


def test_wrong_secret_key_is_refused(sandbox: SandboxProcess) -> None:
    r = signed(sandbox, "GET", _path(sandbox, DATASTORES), sk="not-the-secret-key")
    msg = error(r, 401, "APIGW.0301")["error_msg"]
    assert msg.startswith("Incorrect IAM authentication information: verify aksk signature fail")


def test_unknown_access_key_is_refused(sandbox: SandboxProcess) -> None:
    r = signed(sandbox, "GET", _path(sandbox, DATASTORES), ak="UNKNOWNACCESSKEY0000")
    assert "ak not exist" in error(r, 401, "APIGW.0301")["error_msg"]


def test_body_changed_after_signing_is_refused(sandbox: SandboxProcess) -> None:
    def change(headers: dict[str, str], content: bytes, uri: str) -> tuple[dict[str, str], bytes, str]:
        return headers, content.replace(b'"Single"', b'"Cluster"'), uri

    r = signed(
        sandbox, "POST", _path(sandbox, "/starrocks/resource-check"), body={"mode": "Single"}, tamper=change
    )
    assert "verify aksk signature fail" in error(r, 401, "APIGW.0301")["error_msg"]


def test_signed_header_changed_after_signing_is_refused(sandbox: SandboxProcess) -> None:
    def change(headers: dict[str, str], content: bytes, uri: str) -> tuple[dict[str, str], bytes, str]:
        return {**headers, "X-Language": "zh-cn"}, content, uri

    r = signed(sandbox, "GET", _path(sandbox, DATASTORES), headers={"X-Language": "en-us"}, tamper=change)
    error(r, 401, "APIGW.0301")


def test_path_changed_after_signing_is_refused(sandbox: SandboxProcess) -> None:
    def change(headers: dict[str, str], content: bytes, uri: str) -> tuple[dict[str, str], bytes, str]:
        return headers, content, uri.replace("star-rocks", "click-house")

    error(signed(sandbox, "GET", _path(sandbox, DATASTORES), tamper=change), 401, "APIGW.0301")


def test_stale_sdk_date_is_refused_within_fifteen_minutes_is_accepted(sandbox: SandboxProcess) -> None:
    now = datetime.now(UTC)
    old = (now - timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
    r = signed(sandbox, "GET", _path(sandbox, DATASTORES), headers={"X-Sdk-Date": old})
    assert "signature expired" in error(r, 401, "APIGW.0301")["error_msg"]
    future = (now + timedelta(minutes=20)).strftime("%Y%m%dT%H%M%SZ")
    error(
        signed(sandbox, "GET", _path(sandbox, DATASTORES), headers={"X-Sdk-Date": future}), 401, "APIGW.0301"
    )
    recent = (now - timedelta(minutes=10)).strftime("%Y%m%dT%H%M%SZ")
    assert (
        signed(sandbox, "GET", _path(sandbox, DATASTORES), headers={"X-Sdk-Date": recent}).status_code == 200
    )


def test_unsigned_sdk_date_and_malformed_authorization_are_refused(sandbox: SandboxProcess) -> None:
    def drop_date(headers: dict[str, str], content: bytes, uri: str) -> tuple[dict[str, str], bytes, str]:
        return {k: v for k, v in headers.items() if k != "X-Sdk-Date"}, content, uri

    error(signed(sandbox, "GET", _path(sandbox, DATASTORES), tamper=drop_date), 401, "APIGW.0301")
    r = httpx.get(
        sandbox.url + _path(sandbox, DATASTORES), headers={"Authorization": "SDK-HMAC-SHA256 nonsense"}
    )
    error(r, 401, "APIGW.0301")


def test_x_project_id_must_match_the_path(sandbox: SandboxProcess) -> None:
    other = "/v3/ffffffffffffffffffffffffffffffff" + DATASTORES
    error(signed(sandbox, "GET", other), 403, "DBS.200010")
    r = signed(
        sandbox,
        "GET",
        _path(sandbox, DATASTORES),
        headers={"X-Project-Id": "ffffffffffffffffffffffffffffffff"},
    )
    error(r, 403, "DBS.200010")


# -- the vendor's SDKs -------------------------------------------------------------------------
@pytest.mark.fidelity
def test_iam_sdk_gets_a_token_that_the_gaussdb_api_accepts(sandbox: SandboxProcess) -> None:
    h = hw(sandbox)
    client = (
        IamClient.new_builder()
        .with_credentials(GlobalCredentials(h["ak"], h["sk"], "0" * 32))
        .with_endpoints([sandbox.url])
        .build()
    )
    user = im.PwdPasswordUser(
        domain=im.PwdPasswordUserDomain(name=h["iam_domain"]), name=h["iam_user"], password=h["iam_password"]
    )
    body = im.KeystoneCreateUserTokenByPasswordRequestBody(
        auth=im.PwdAuth(
            identity=im.PwdIdentity(methods=["password"], password=im.PwdPassword(user=user)),
            scope=im.AuthScope(project=im.AuthScopeProject(name=h["region"])),
        )
    )
    resp = client.keystone_create_user_token_by_password(
        im.KeystoneCreateUserTokenByPasswordRequest(nocatalog="true", body=body)
    )
    assert resp.status_code == 201 and resp.token.project.id == h["project_id"]
    assert Api(sandbox, resp.x_subject_token).ok("GET", f"/instances/{TAURUS_ID}/htap")["total"] >= 1

    user.password = "Wrong@2026"
    with pytest.raises(ClientRequestException) as e:
        client.keystone_create_user_token_by_password(
            im.KeystoneCreateUserTokenByPasswordRequest(nocatalog="true", body=body)
        )
    assert e.value.status_code == 401 and e.value.request_id


@pytest.mark.fidelity
def test_sdk_finds_the_project_id_through_iam_when_not_given(sandbox: SandboxProcess) -> None:
    h = hw(sandbox)
    creds = BasicCredentials(h["ak"], h["sk"]).with_iam_endpoint(sandbox.url)
    client = (
        GaussDBClient.new_builder()
        .with_credentials(creds)
        .with_region(Region(h["region"], sandbox.url))
        .build()
    )
    assert creds.project_id == h["project_id"]
    resp = client.list_htap_data_store(gm.ListHtapDataStoreRequest(engine_name="star-rocks"))
    assert [d.kernel_version for d in resp.datastores] == ["3.1.6.0"]
    assert get_token(sandbox)
