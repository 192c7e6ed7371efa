"""Huawei request models carry the reference's limits (create seed, database users), answer models
tolerate unknown fields, secrets stay out of repr/str/dumps/errors; region endpoints and the AK/SK
signer match Huawei's tables and SDK."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from pydantic import SecretStr, ValidationError

from gui.api.huawei import (
    HuaweiProfile,
    Job,
    StarRocksCreateRequest,
    StarRocksInstance,
    field_errors,
    gaussdb_endpoint,
    iam_endpoint,
)
from gui.api.huawei.auth import AkSkCredentials, PasswordCredentials
from gui.api.huawei.models import (
    CreateStarRocksResult,
    DatabaseUserCreate,
    DatabaseUserPermission,
    HtapFlavor,
    IamToken,
    ResizeFlavorRequest,
    ResourceCheckRequest,
)
from gui.api.huawei.signer import AkSkAuth, canonical_uri

ROOT_PASSWORD = "Test@123!"

# The example request of "Creating a StarRocks Instance", verbatim.
SEED_EXAMPLE: dict[str, Any] = {
    "name": "htap-ff64",
    "engine": {"type": "star-rocks", "version": "3.1"},
    "ha": {"mode": "Single"},
    "fe_flavor_id": "afef3bfd-ac7c-32e1-ba44-c388acbb196a",
    "be_flavor_id": "de565db8-0a96-37ea-9388-61167624712c",
    "db_root_pwd": ROOT_PASSWORD,
    "fe_count": 1,
    "be_count": 1,
    "az_mode": "single",
    "fe_volume": {"io_type": "SSD", "capacity_in_gb": 50},
    "be_volume": {"io_type": "SSD", "capacity_in_gb": 50},
    "az_code": "az",
    "time_zone": "UTC+08:00",
    "tags_info": {"sys_tags": [{"key": "_sys_enterprise_project_id", "value": "0"}]},
}

# The example answer of the same page.
SEED_ANSWER: dict[str, Any] = {
    "instance": {
        "id": "590031445ef845bb912d7fc8243db80cin17",
        "az_code": "az1",
        "az_mode": "single",
        "name": "htap-ff64",
        "engine": {"type": "star-rocks", "version": "3.1"},
        "vpc_id": "d5a1a29b-1476-490f-9682-c1a59593e7b0",
        "security_group_id": "967a0ac2-3cae-4e57-a49a-d0f6ff07dcc1",
        "sub_net_id": "2ce0bc80-bfc5-4d5e-9b78-a7f91572e03b",
        "db_user": "root",
        "port": 3306,
        "ha_mode": "Single",
        "pay_info": {
            "pay_model": "0",
            "order_id": None,
            "period": None,
            "period_type": None,
            "is_auto_renew": None,
        },
        "enable_ssl": False,
        "status": "creating",
        "region": "az",
        "tags_info": {"tags": [], "sys_tags": [{"key": "_sys_enterprise_project_id", "value": "0"}]},
    },
    "job_id": "cf0b7506-1505-450f-9d95-ce9d93b6b5c3",
}


def with_(**changes: Any) -> dict[str, Any]:
    body = json.loads(json.dumps(SEED_EXAMPLE))
    for dotted, value in changes.items():
        target = body
        *parents, leaf = dotted.split("__")
        for p in parents:
            target = target[p]
        if value is ...:
            del target[leaf]
        else:
            target[leaf] = value
    return body


def refusal(model: type[Any], body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(body)
    text = str(info.value)
    assert ROOT_PASSWORD not in text
    return field_errors(info.value)


# -- the create request ----------------------------------------------------------------------------------


def test_seed_example_is_valid_and_round_trips() -> None:
    req = StarRocksCreateRequest.model_validate(SEED_EXAMPLE)
    assert req.to_body() == SEED_EXAMPLE


def test_defaults_fill_what_the_reference_defaults() -> None:
    body = with_(time_zone=..., az_mode=..., tags_info=...)
    req = StarRocksCreateRequest.model_validate(body)
    sent = req.to_body()
    assert sent["time_zone"] == "UTC+08:00"
    assert sent["az_mode"] == "single"
    assert sent["tags_info"] == {"sys_tags": [{"key": "_sys_enterprise_project_id", "value": "0"}]}
    assert "security_group_id" not in sent and "pay_info" not in sent


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"name": "abc"}, "name", "4 to 64"),
        ({"name": "a" * 65}, "name", "4 to 64"),
        ({"name": "1abc"}, "name", "start with a letter"),
        ({"name": "htap ff64"}, "name", "letters, digits, hyphens"),
        ({"name": "htap.ff64"}, "name", "letters, digits, hyphens"),
        ({"engine__type": "click-house"}, "engine.type", "star-rocks"),
        ({"engine__version": ""}, "engine.version", "major version"),
        ({"ha__mode": "single"}, "ha.mode", "Single or Cluster"),
        ({"fe_count": 3}, "fe_count", "exactly 1 FE"),
        ({"be_count": 2}, "be_count", "exactly 1 BE"),
        ({"ha__mode": "Cluster", "fe_count": 2, "be_count": 3}, "fe_count", "3 to 10 FE"),
        ({"ha__mode": "Cluster", "fe_count": 3, "be_count": 11}, "be_count", "3 to 10 BE"),
        ({"az_mode": "multi"}, "az_mode", "single"),
        ({"fe_volume__capacity_in_gb": 40}, "fe_volume.capacity_in_gb", "50 to 1000 GB"),
        ({"fe_volume__capacity_in_gb": 1010}, "fe_volume.capacity_in_gb", "50 to 1000 GB"),
        ({"fe_volume__capacity_in_gb": 55}, "fe_volume.capacity_in_gb", "steps of 10"),
        ({"be_volume__capacity_in_gb": 32010}, "be_volume.capacity_in_gb", "50 to 32000 GB"),
        ({"be_volume__capacity_in_gb": 105}, "be_volume.capacity_in_gb", "steps of 10"),
        ({"fe_volume__io_type": ""}, "fe_volume.io_type", "storage type"),
        ({"az_code": " "}, "az_code", "availability zone"),
        ({"fe_flavor_id": ""}, "fe_flavor_id", "flavor"),
        ({"time_zone": "Asia/Shanghai"}, "time_zone", "UTC+08:00"),
        ({"tags_info__sys_tags": []}, "tags_info.sys_tags", "_sys_enterprise_project_id"),
        ({"tags_info__sys_tags": [{"key": "env", "value": "0"}]}, "tags_info.sys_tags.0.key", "system tag"),
        (
            {"tags_info__sys_tags": [{"key": "_sys_enterprise_project_id", "value": "7"}]},
            "tags_info.sys_tags.0.value",
            "must be 0",
        ),
        ({"db_root_pwd": "Te@1"}, "db_root_pwd", "8 to 32"),
        ({"db_root_pwd": "T@1" + "x" * 30}, "db_root_pwd", "8 to 32"),
        ({"db_root_pwd": "testtest123"}, "db_root_pwd", "at least three"),
        ({"db_root_pwd": "Test 1234"}, "db_root_pwd", "only letters, digits"),
        ({"db_root_pwd": "Test/1234"}, "db_root_pwd", "only letters, digits"),
        ({"surprise": 1}, "surprise", "Extra inputs"),
        ({"name": ...}, "name", "required"),
        ({"pay_info": {"pay_model": "1"}}, "pay_info", "period"),
        ({"pay_info": {"pay_model": "2"}}, "pay_info.pay_model", "pay-per-use"),
    ],
)
def test_create_limits(changes: dict[str, Any], field: str, words: str) -> None:
    reasons = refusal(StarRocksCreateRequest, with_(**changes))
    assert field in reasons, reasons
    assert words.lower() in reasons[field].lower(), reasons


@pytest.mark.parametrize("special", list("~!@#$%^*-_=+?,()&|."))
def test_every_documented_special_character_counts(special: str) -> None:
    req = StarRocksCreateRequest.model_validate(with_(db_root_pwd=f"Abcdefg1{special}"))
    assert req.db_root_pwd.get_secret_value().endswith(special)
    # letters + one special is three classes too
    StarRocksCreateRequest.model_validate(with_(db_root_pwd=f"Abcdefgh{special}"))


def test_cluster_bounds_and_volume_bounds_accepted() -> None:
    for n in (3, 10):
        StarRocksCreateRequest.model_validate(with_(ha__mode="Cluster", fe_count=n, be_count=n))
    StarRocksCreateRequest.model_validate(
        with_(fe_volume__capacity_in_gb=1000, be_volume__capacity_in_gb=32000)
    )


def test_create_secret_never_shown() -> None:
    req = StarRocksCreateRequest.model_validate(SEED_EXAMPLE)
    for text in (repr(req), str(req), req.model_dump_json(), json.dumps(req.model_dump(mode="json"))):
        assert ROOT_PASSWORD not in text
    assert req.to_body()["db_root_pwd"] == ROOT_PASSWORD


def test_yearly_billing_needs_its_fields() -> None:
    req = StarRocksCreateRequest.model_validate(
        with_(
            pay_info={"pay_model": "1", "period": "1", "period_type": "2", "is_auto_renew": "0"},
            region_code="cn-north-4",
        )
    )
    assert req.to_body()["pay_info"]["period_type"] == "2"
    reasons = refusal(
        StarRocksCreateRequest,
        with_(pay_info={"pay_model": "1", "period": "1", "period_type": "2", "is_auto_renew": "0"}),
    )
    assert "region_code" in next(iter(reasons.values()))


# -- other requests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"user_name": "a", "password": "Abc@12345", "databases": []}, "user_name", "2 to 32"),
        ({"user_name": "Abc", "password": "Abc@12345", "databases": []}, "user_name", "lower-case"),
        ({"user_name": "abc_", "password": "Abc@12345", "databases": []}, "user_name", "end with"),
        ({"user_name": "abc", "password": "abc", "databases": []}, "password", "8 to 32"),
        ({"user_name": "abc", "password": "Abc$12345", "databases": []}, "password", "special characters"),
        ({"user_name": "abcd_1234", "password": "abcd_1234", "databases": []}, "password", "user name"),
        ({"user_name": "ab1_xyz9", "password": "9zyx_1ba", "databases": []}, "password", "reversed"),
        ({"user_name": "abc", "password": "abcdefgh1", "databases": []}, "password", "at least three"),
        ({"user_name": "abc", "password": "Abc@12345", "databases": [], "dml": 4}, "dml", "read-only"),
        ({"user_name": "abc", "password": "Abc@12345", "databases": [], "ddl": 2}, "ddl", "no DDL"),
    ],
)
def test_database_user_limits(body: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(ValidationError) as info:
        DatabaseUserCreate.model_validate(body)
    assert body["password"] not in str(info.value)
    reasons = field_errors(info.value)
    assert field in reasons and words in reasons[field], reasons


def test_database_user_defaults_and_reversed_name() -> None:
    user = DatabaseUserCreate.model_validate(
        {"user_name": "app_1", "password": "Abc@12345", "databases": ["d"]}
    )
    assert user.to_body() == {
        "user_name": "app_1",
        "password": "Abc@12345",
        "databases": ["d"],
        "dml": 2,
        "ddl": 0,
    }
    with pytest.raises(ValidationError):
        DatabaseUserCreate.model_validate(
            {"user_name": "ab@12345x", "password": "x54321@ba", "databases": []}
        )


def test_permission_and_resize_need_a_change() -> None:
    with pytest.raises(ValidationError):
        DatabaseUserPermission.model_validate({"user_name": "app"})
    assert DatabaseUserPermission.model_validate({"user_name": "app", "dml": 1}).to_body() == {
        "user_name": "app",
        "dml": 1,
    }
    with pytest.raises(ValidationError):
        ResizeFlavorRequest.model_validate({})


def test_resource_check_request() -> None:
    body = {
        "action": "createInstance",
        "resource": {
            "instance_num": 1,
            "mode": "Cluster",
            "availability_zone_mode": "single",
            "fe_node_num": 3,
            "be_node_num": 3,
            "fe_flavor_ref": "gaussdb.sr-fe.8xlarge.x86.4",
            "be_flavor_ref": "gaussdb.sr-be.8xlarge.x86.4",
            "availability_zone": "cn-southwest-244a",
            "subnet_id": "b00dc497-91e1-4082-aeb0-a1dc95e10371",
            "enterprise_project_id": "0",
        },
    }
    assert ResourceCheckRequest.model_validate(body).to_body() == body
    bad = json.loads(json.dumps(body))
    bad["resource"]["fe_node_num"] = 1
    with pytest.raises(ValidationError) as info:
        ResourceCheckRequest.model_validate(bad)
    assert "resource.fe_node_num" in field_errors(info.value)


# -- answers ---------------------------------------------------------------------------------------------


def test_create_answer_example_and_unknown_fields() -> None:
    result = CreateStarRocksResult.model_validate({**SEED_ANSWER, "brand_new": {"x": 1}})
    assert result.job_id == "cf0b7506-1505-450f-9d95-ce9d93b6b5c3"
    assert result.instance.status == "creating" and result.instance.port == 3306
    assert result.instance.pay_info is not None and result.instance.pay_info.pay_model == "0"
    inst = StarRocksInstance.model_validate(
        {"id": "x", "future_field": [1], "groups": [{"nodes": [{"id": "n"}]}]}
    )
    assert [n.id for n in inst.nodes] == ["n"]


def test_job_progress_and_flavor_helpers() -> None:
    job = Job.model_validate({"id": "j", "status": "Running", "process": "37%"})
    assert job.percent == 37 and not job.finished
    assert Job.model_validate({"id": "j", "status": "Completed", "process": ""}).percent is None
    flavor = HtapFlavor.model_validate(
        {"id": "f", "spec_code": "gaussdb.sr-be.xlarge.x86.4", "az_status": {"a": "normal", "b": "sellout"}}
    )
    assert flavor.node_type == "be" and flavor.available_in("a") and not flavor.available_in("b")


# -- credentials, profiles -------------------------------------------------------------------------------


def test_credentials_and_profile_hide_secrets() -> None:
    pw = PasswordCredentials(user="u", password=SecretStr("Pa55word!"), domain="d")
    ak = AkSkCredentials(ak="AK", sk=SecretStr("very-secret-key"))
    token = IamToken(value=SecretStr("MIItoken"), expires_at="2030-01-01T00:00:00Z")
    profile = HuaweiProfile(
        region="cn-north-4", auth="aksk", access_key="AK", secret_key=SecretStr("very-secret-key")
    )
    for obj, secret in (
        (pw, "Pa55word!"),
        (ak, "very-secret-key"),
        (token, "MIItoken"),
        (profile, "very-secret-key"),
    ):
        assert secret not in repr(obj) and secret not in str(obj)
    assert isinstance(profile.credentials(), AkSkCredentials)
    with pytest.raises(ValidationError) as info:
        HuaweiProfile(region="cn-north-4", auth="password", iam_user="u", iam_password=SecretStr("Pa55word!"))
    assert "Pa55word!" not in str(info.value)
    with pytest.raises(ValidationError):
        HuaweiProfile(region="not a region", auth="aksk", access_key="AK", secret_key=SecretStr("x"))
    with pytest.raises(ValidationError):
        HuaweiProfile(
            region="cn-north-4", auth="aksk", access_key="AK", secret_key=SecretStr("x"), project_id="short"
        )
    repr_auth = repr(AkSkAuth("AK", "very-secret-key"))
    assert "very-secret-key" not in repr_auth


# -- endpoints and signing -------------------------------------------------------------------------------


def test_region_endpoints() -> None:
    assert gaussdb_endpoint("cn-north-4") == "https://gaussdb.cn-north-4.myhuaweicloud.com"
    assert gaussdb_endpoint("ap-southeast-1") == "https://gaussdbformysql.ap-southeast-1.myhuaweicloud.com"
    assert gaussdb_endpoint("me-east-1") == "https://gaussdbformysql.me-east-1.myhuaweicloud.com"
    assert gaussdb_endpoint("af-south-1") == "https://gaussdb-mysql.af-south-1.myhuaweicloud.com"
    assert gaussdb_endpoint("cn-southwest-3") == "https://gaussdb-mysql.cn-southwest-3.myhuaweicloud.com"
    assert iam_endpoint("cn-north-4") == "https://iam.cn-north-4.myhuaweicloud.com"
    assert iam_endpoint(None) == "https://iam.myhuaweicloud.com"
    with pytest.raises(ValueError):
        gaussdb_endpoint("evil.example.com/x")


class _Creds:
    ak = "AKEXAMPLE"
    sk = "secret/+key=="


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "content_type"),
    [
        ("GET", "/v3/p/instances", [("limit", "10"), ("offset", "0"), ("name", "*taurus x")], b"", None),
        (
            "POST",
            "/v3/p/instances/a b/starrocks",
            [],
            json.dumps(SEED_EXAMPLE).encode(),
            "application/json;charset=UTF-8",
        ),
        ("DELETE", "/v3/p/instances/i/starrocks/users", [("user_name", "a~b&c")], b"", None),
        ("PUT", "/v3/p/x", [("b", "2"), ("a", "3"), ("a", "1")], b"raw", "text/plain"),
    ],
)
def test_signature_matches_huawei_sdk(
    method: str, path: str, query: list[tuple[str, str]], body: bytes, content_type: str | None
) -> None:
    host = "gaussdb.cn-north-4.myhuaweicloud.com"
    headers = {"X-Sdk-Date": "20260101T101010Z", "X-Project-Id": "p", "X-Language": "en-us"}
    if content_type:
        headers["Content-Type"] = content_type
    sdk = SdkRequest(
        method=method,
        schema="https",
        host=host,
        resource_path=path,
        uri=path,
        query_params=list(query),
        header_params={**headers, "Host": host},
        body=body,
    )
    Signer(_Creds).sign(sdk)
    ours = httpx.Request(method, f"https://{host}{path}", params=query, headers=headers, content=body)
    AkSkAuth(_Creds.ak, _Creds.sk, project_id="p").sign(ours)
    assert ours.headers["Authorization"] == sdk.header_params["Authorization"]


def test_canonical_uri_always_ends_with_slash() -> None:
    assert canonical_uri("/v3/p/jobs") == "/v3/p/jobs/"
    assert canonical_uri("/v3/a%20b/") == "/v3/a%20b/"
