"""GoodData's own generated client (gooddata-api-client 1.73.0), unchanged, against the sandbox.

The 1.73.0 generator keeps only the last member's ``type`` enum on a composed oneOf
(``CreatePipeTableRequestKeyConfig`` accepts only ``unique``, ``...DistributionConfig`` only
``random``, ``...PartitionConfig`` only ``timeSlice``). The client can therefore send only those
variants, and reading back a pipe table whose configs are other variants needs
``_check_return_type=False``; the service's answers are as the OpenAPI document says either way.
The 1.73.0 spec has no ``cascade`` query parameter on deprovision (later clients send it), so the
client deprovisions an empty instance here.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import SandboxProcess
from gooddata_api_client import ApiClient, Configuration
from gooddata_api_client.api.ai_lake_databases_api import AILakeDatabasesApi
from gooddata_api_client.api.ai_lake_pipe_tables_api import AILakePipeTablesApi
from gooddata_api_client.api.ai_lake_services_operations_api import AILakeServicesOperationsApi
from gooddata_api_client.exceptions import (
    ApiException,
    ApiValueError,
    NotFoundException,
    UnauthorizedException,
)
from gooddata_api_client.model.add_database_data_source_request import AddDatabaseDataSourceRequest
from gooddata_api_client.model.analyze_statistics_request import AnalyzeStatisticsRequest
from gooddata_api_client.model.create_pipe_table_request import CreatePipeTableRequest
from gooddata_api_client.model.create_pipe_table_request_key_config import CreatePipeTableRequestKeyConfig
from gooddata_api_client.model.failed_operation import FailedOperation
from gooddata_api_client.model.provision_database_instance_request import ProvisionDatabaseInstanceRequest
from gooddata_api_client.model.refresh_partition_request import RefreshPartitionRequest
from gooddata_api_client.model.run_service_command_request import RunServiceCommandRequest
from gooddata_api_client.model.succeeded_operation import SucceededOperation
from gooddata_api_client.model.update_database_data_source_request import UpdateDatabaseDataSourceRequest
from sandboxclock import advance
from test_ailake_support import STORAGE, count, rows_sql, storage_dir, unique, write_parquet

pytestmark = pytest.mark.fidelity


def make_client(sp: SandboxProcess, token: str | None = None, **config: Any) -> ApiClient:
    """As GoodData's Python SDK builds it: a bearer token in the Authorization header."""
    conf = Configuration(host=sp.url, **config)
    return ApiClient(
        conf, header_name="Authorization", header_value=f"Bearer {token or sp.info['ailake']['token']}"
    )


@pytest.fixture(scope="module")
def api(sandbox: SandboxProcess) -> Iterator[ApiClient]:
    with make_client(sandbox) as client:
        yield client


def wait(sp: SandboxProcess, ops: AILakeServicesOperationsApi, op_id: str, steps: int = 100) -> Any:
    """The operation once it is no longer pending, the sandbox's clock moved on while it is."""
    for _ in range(steps):
        op = ops.get_ai_lake_operation(op_id)
        if op.status != "pending":
            return op
        advance(sp, 1.0)
    raise AssertionError(f"operation {op_id} still pending")


@pytest.mark.slow
def test_pipe_table_lifecycle_with_the_generated_client(sandbox: SandboxProcess, api: ApiClient) -> None:
    tables, ops = AILakePipeTablesApi(api), AILakeServicesOperationsApi(api)
    prefix = unique("sdk")
    root = storage_dir(sandbox) / prefix
    write_parquet(root / "year=2024" / "month=01" / "p.parquet", rows_sql(4))
    write_parquet(root / "year=2024" / "month=02" / "p.parquet", rows_sql(6, start=10))
    name = unique("sdk")

    op_id = str(uuid.uuid4())
    request = CreatePipeTableRequest(
        path_prefix=prefix + "/",
        source_storage_name=STORAGE,
        table_name=name,
        key_config=CreatePipeTableRequestKeyConfig(type="unique", columns=["id"]),
        column_overrides={"year": "INT"},
        max_varchar_length=100,
        polling_interval_seconds=1,
    )
    body, status, headers = tables.create_ai_lake_pipe_table(
        "demo", request, operation_id=op_id, _return_http_data_only=False
    )
    assert body is None and status == 202
    assert headers["operation-id"] == op_id
    assert headers["operation-location"] == f"/api/v1/ailake/operations/{op_id}"
    op = wait(sandbox, ops, op_id)
    assert isinstance(op, SucceededOperation)
    assert (op.id, op.kind, op.status) == (op_id, "create-pipe-table", "succeeded")

    listed = tables.list_ai_lake_pipe_tables("demo", size=500, meta_include=["page"])
    assert listed.meta.page.total_elements == len(listed.data)
    summary = next(d for d in listed.data if d.attributes.table_name == name)
    assert summary.attributes.path_prefix == prefix + "/"
    assert summary.id == summary.attributes.pipe_table_id

    got = tables.get_ai_lake_pipe_table("demo", name, _check_return_type=False)
    attrs = got["data"]["attributes"]
    assert attrs["keyConfig"] == {"type": "unique", "columns": ["id"]}
    assert attrs["partitionColumns"] == ["year", "month"]
    assert {"name": "year", "type": "INT"} in attrs["columns"]
    assert {"name": "name", "type": "VARCHAR(100)"} in attrs["columns"]
    assert count(sandbox, name) == 10

    # The pipe picks up a new file after its 1 s interval.
    write_parquet(root / "year=2024" / "month=03" / "p.parquet", rows_sql(5, start=30))
    advance(sandbox, 1.0)
    assert count(sandbox, name) == 15

    write_parquet(root / "year=2024" / "month=01" / "p.parquet", rows_sql(2, start=90))
    _, status, headers = tables.refresh_ai_lake_pipe_table_partition(
        "demo",
        name,
        RefreshPartitionRequest(partition_spec={"year": "2024", "month": "01"}),
        _return_http_data_only=False,
    )
    assert status == 202
    op = wait(sandbox, ops, headers["operation-id"])
    assert isinstance(op, SucceededOperation) and op.kind == "refresh-partition"
    assert count(sandbox, name, where="WHERE month = '01'") == 2

    analyze_id = str(uuid.uuid4())
    tables.analyze_statistics("demo", AnalyzeStatisticsRequest(table_names=[name]), operation_id=analyze_id)
    op = wait(sandbox, ops, analyze_id)
    assert op.kind == "analyze-statistics" and op.result == {"tablesAnalyzed": 1}

    _, status, headers = tables.delete_ai_lake_pipe_table("demo", name, _return_http_data_only=False)
    assert status == 202
    op = wait(sandbox, ops, headers["operation-id"])
    assert isinstance(op, SucceededOperation) and op.kind == "delete-pipe-table"
    with pytest.raises(NotFoundException) as e:
        tables.get_ai_lake_pipe_table("demo", name)
    assert e.value.headers["Content-Type"] == "application/problem+json"


def test_failed_operation_through_the_generated_client(sandbox: SandboxProcess, api: ApiClient) -> None:
    tables, ops = AILakePipeTablesApi(api), AILakeServicesOperationsApi(api)
    request = CreatePipeTableRequest(
        path_prefix="no/such/folder/", source_storage_name=STORAGE, table_name=unique("x")
    )
    _, _, headers = tables.create_ai_lake_pipe_table("demo", request, _return_http_data_only=False)
    op = wait(sandbox, ops, headers["operation-id"])
    assert isinstance(op, FailedOperation)
    # Reading ``op.error`` trips the client's own composed-model check; GoodData's SDK reads it through
    # ``to_dict()``, as here.
    error = op.to_dict()["error"]
    assert (
        error["status"] == 400 and error["title"] == "Bad Request" and "No parquet files" in error["detail"]
    )


def test_databases_object_storages_and_data_sources(sandbox: SandboxProcess, api: ApiClient) -> None:
    dbs, ops = AILakeDatabasesApi(api), AILakeServicesOperationsApi(api)
    storages = dbs.list_ai_lake_object_storages(meta_include=["page"])
    lake = next(s for s in storages.data if s.attributes.name == STORAGE)
    assert lake.attributes.storage_type == "s3" and lake.attributes.storage_id == lake.id

    instances = dbs.list_ai_lake_database_instances(meta_include=["page"], size=500)
    assert instances.meta.page.total_elements == len(instances.data)
    demo = dbs.get_ai_lake_database_instance("demo").data
    assert demo.attributes.name == "demo" and demo.attributes.storage_ids == [lake.id]
    assert dbs.get_ai_lake_database_instance(demo.id).data.attributes.name == "demo"

    name = unique("sdkdb")
    _, status, headers = dbs.provision_ai_lake_database_instance(
        ProvisionDatabaseInstanceRequest(name=name, storage_ids=[lake.id]), _return_http_data_only=False
    )
    assert status == 202
    assert wait(sandbox, ops, headers["operation-id"]).kind == "provision-database"

    ds = unique("ds")
    added = dbs.add_ai_lake_database_data_source(name, AddDatabaseDataSourceRequest(data_source_id=ds))
    assert added.data_source.data_source_id == ds and added.data_source.data_source_name == ds
    listed = dbs.list_ai_lake_database_data_sources(name)
    assert sorted(d.attributes.data_source_id for d in listed.data) == sorted([name, ds])
    updated = dbs.update_ai_lake_database_data_source(
        name,
        UpdateDatabaseDataSourceRequest(
            data_source_id=ds + "2", old_data_source_id=ds, data_source_name="Two"
        ),
    )
    assert (updated.data_source_id, updated.data_source_name) == (ds + "2", "Two")
    assert dbs.remove_ai_lake_database_data_source(name, ds + "2").data_source_id == ds + "2"

    _, status, headers = dbs.deprovision_ai_lake_database_instance(name, _return_http_data_only=False)
    assert status == 202
    op = wait(sandbox, ops, headers["operation-id"])
    assert isinstance(op, SucceededOperation) and op.kind == "deprovision-database"
    with pytest.raises(NotFoundException):
        dbs.get_ai_lake_database_instance(name)


def test_services_through_the_generated_client(sandbox: SandboxProcess, api: ApiClient) -> None:
    svc_api = AILakeServicesOperationsApi(api)
    services = svc_api.list_ai_lake_services(meta_include=["page"])
    svc = services.data[0]
    assert svc.attributes.name == "pipes" and svc.attributes.service_id == svc.id
    status = svc_api.get_ai_lake_service_status(svc.id)
    assert status.status["ready"] is True
    _, code, headers = svc_api.run_ai_lake_service_command(
        svc.id, "poll", RunServiceCommandRequest(context={"by": "sdk"}), _return_http_data_only=False
    )
    assert code == 202
    op = wait(sandbox, svc_api, headers["operation-id"])
    assert op.kind == "run-service-command" and set(op.result) == {"filesLoaded", "rowsLoaded"}


def test_paging_limits_and_auth_with_the_generated_client(sandbox: SandboxProcess, api: ApiClient) -> None:
    tables = AILakePipeTablesApi(api)
    with pytest.raises(ApiValueError):
        tables.list_ai_lake_pipe_tables("demo", size=501)
    # With the client's own check switched off the service refuses it.
    with make_client(sandbox, disabled_client_side_validations="maximum") as loose:
        with pytest.raises(ApiException) as e:
            AILakePipeTablesApi(loose).list_ai_lake_pipe_tables("demo", size=501)
        assert e.value.status == 400 and "500" in e.value.body
    with make_client(sandbox, token="not-the-token") as bad:
        with pytest.raises(UnauthorizedException) as u:
            AILakeDatabasesApi(bad).list_ai_lake_database_instances()
        assert u.value.status == 401
