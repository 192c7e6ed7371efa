"""The AI Lake models carry the rules of the pipe-table API, and say what is wrong per field."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from gui.api.ailake import (
    AGGREGATION_FUNCTIONS,
    COLUMN_FUNCTIONS,
    TIME_UNITS,
    AggregateKeyConfig,
    ColumnInfo,
    ColumnPartitionConfig,
    CreatePipeTableRequest,
    DateTruncPartitionConfig,
    DuplicateKeyConfig,
    FailedOperation,
    FieldProblem,
    HashDistributionConfig,
    Operation,
    OtherOperation,
    PendingOperation,
    PipeTable,
    PrimaryKeyConfig,
    RandomDistributionConfig,
    RefreshPartitionRequest,
    SucceededOperation,
    TimeSlicePartitionConfig,
    UniqueKeyConfig,
    field_problems,
)

BASE = {"pathPrefix": "sales/", "sourceStorageName": "sandbox-lake", "tableName": "t"}


def problems(body: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as e:
        CreatePipeTableRequest.model_validate(body)
    return {p.field: p.message for p in field_problems(e.value)}


def test_minimal_request_and_its_json() -> None:
    request = CreatePipeTableRequest.model_validate(BASE)
    assert request.to_json() == {**BASE, "tableProperties": {"replication_num": "1"}}
    own = CreatePipeTableRequest.model_validate({**BASE, "tableProperties": {"replication_num": "3"}})
    assert own.to_json()["tableProperties"] == {"replication_num": "3"}


def test_every_field_round_trips_with_its_json_name() -> None:
    body = {
        **BASE,
        "aggregationOverrides": {"amount": "SUM"},
        "columnExpressions": {"visitors": {"column": "user_id", "function": "HLL_HASH"}},
        "columnOverrides": {"year": "INT"},
        "distributionConfig": {"type": "hash", "buckets": 4, "columns": ["id"]},
        "keyConfig": {"type": "aggregate", "columns": ["id"]},
        "maxVarcharLength": 255,
        "partitionConfig": {"type": "timeSlice", "column": "ts", "unit": "day", "slices": 7},
        "pollingIntervalSeconds": 0,
        "tableProperties": {"replication_num": "1", "compression": "ZSTD"},
    }
    request = CreatePipeTableRequest.model_validate(body)
    assert isinstance(request.key_config, AggregateKeyConfig)
    assert isinstance(request.partition_config, TimeSlicePartitionConfig)
    assert request.to_json() == body


def test_required_fields() -> None:
    assert problems({}) == {
        "pathPrefix": "is required",
        "sourceStorageName": "is required",
        "tableName": "is required",
    }


@pytest.mark.parametrize("name", ["a", "a1", "a_b-c", "z" + "9" * 62])
def test_table_names_that_fit_the_pattern(name: str) -> None:
    assert CreatePipeTableRequest.model_validate({**BASE, "tableName": name}).table_name == name


@pytest.mark.parametrize("name", ["", "A", "1a", "_a", "-a", "a.b", "a b", "aé", "z" + "9" * 63])
def test_table_names_outside_the_pattern(name: str) -> None:
    assert "lowercase letter" in problems({**BASE, "tableName": name})["tableName"]


def test_key_config_variants() -> None:
    for kind, cls in [
        ("aggregate", AggregateKeyConfig),
        ("duplicate", DuplicateKeyConfig),
        ("primary", PrimaryKeyConfig),
        ("unique", UniqueKeyConfig),
    ]:
        request = CreatePipeTableRequest.model_validate({**BASE, "keyConfig": {"type": kind}})
        assert type(request.key_config) is cls and request.key_config.columns is None
    assert "unknown type 'sorted'" in problems({**BASE, "keyConfig": {"type": "sorted"}})["keyConfig.type"]
    assert "needs a type" in problems({**BASE, "keyConfig": {"columns": ["a"]}})["keyConfig.type"]
    assert (
        "at least one"
        in problems({**BASE, "keyConfig": {"type": "primary", "columns": []}})["keyConfig.columns"]
    )
    assert (
        "twice"
        in problems({**BASE, "keyConfig": {"type": "unique", "columns": ["a", "a"]}})["keyConfig.columns"]
    )


def test_distribution_config_variants() -> None:
    hashed = CreatePipeTableRequest.model_validate({**BASE, "distributionConfig": {"type": "hash"}})
    assert isinstance(hashed.distribution_config, HashDistributionConfig)
    random = CreatePipeTableRequest.model_validate(
        {**BASE, "distributionConfig": {"type": "random", "buckets": 8}}
    )
    assert isinstance(random.distribution_config, RandomDistributionConfig)
    assert problems({**BASE, "distributionConfig": {"type": "hash", "buckets": 0}}) == {
        "distributionConfig.buckets": "must be at least 1"
    }
    assert problems({**BASE, "distributionConfig": {"type": "random", "buckets": -1}}) == {
        "distributionConfig.buckets": "must be at least 1"
    }
    # Random distribution has no columns in the API.
    assert problems({**BASE, "distributionConfig": {"type": "random", "columns": ["a"]}}) == {
        "distributionConfig.columns": "is not a field of this request"
    }
    assert (
        "unknown type"
        in problems({**BASE, "distributionConfig": {"type": "range"}})["distributionConfig.type"]
    )


def test_partition_config_variants() -> None:
    column = CreatePipeTableRequest.model_validate(
        {**BASE, "partitionConfig": {"type": "column", "columns": ["d"]}}
    )
    assert isinstance(column.partition_config, ColumnPartitionConfig)
    for unit in TIME_UNITS:
        trunc = CreatePipeTableRequest.model_validate(
            {**BASE, "partitionConfig": {"type": "dateTrunc", "column": "d", "unit": unit}}
        )
        assert isinstance(trunc.partition_config, DateTruncPartitionConfig)
    assert problems({**BASE, "partitionConfig": {"type": "column"}}) == {
        "partitionConfig.columns": "is required"
    }
    assert (
        "at least one"
        in problems({**BASE, "partitionConfig": {"type": "column", "columns": []}})["partitionConfig.columns"]
    )
    assert problems({**BASE, "partitionConfig": {"type": "dateTrunc", "column": "d"}}) == {
        "partitionConfig.unit": "is required"
    }
    assert (
        "'day'"
        in problems({**BASE, "partitionConfig": {"type": "dateTrunc", "column": "d", "unit": "days"}})[
            "partitionConfig.unit"
        ]
    )
    assert problems({**BASE, "partitionConfig": {"type": "timeSlice", "column": "d", "unit": "day"}}) == {
        "partitionConfig.slices": "is required"
    }
    assert problems(
        {**BASE, "partitionConfig": {"type": "timeSlice", "column": "d", "unit": "day", "slices": 0}}
    ) == {"partitionConfig.slices": "must be at least 1"}


def test_aggregation_and_expression_functions() -> None:
    for fn in AGGREGATION_FUNCTIONS:
        CreatePipeTableRequest.model_validate({**BASE, "aggregationOverrides": {"a": fn}})
    assert "SUM" in problems({**BASE, "aggregationOverrides": {"a": "AVG"}})["aggregationOverrides.a"]
    for fn in COLUMN_FUNCTIONS:
        CreatePipeTableRequest.model_validate(
            {**BASE, "columnExpressions": {"x": {"column": "a", "function": fn}}}
        )
    assert (
        "HLL_HASH"
        in problems({**BASE, "columnExpressions": {"x": {"column": "a", "function": "MD5"}}})[
            "columnExpressions.x.function"
        ]
    )
    assert problems({**BASE, "columnExpressions": {"x": {"function": "TO_BITMAP"}}}) == {
        "columnExpressions.x.column": "is required"
    }


def test_numbers_and_texts() -> None:
    assert problems({**BASE, "maxVarcharLength": -1}) == {"maxVarcharLength": "must be at least 0"}
    assert problems({**BASE, "pollingIntervalSeconds": -5}) == {
        "pollingIntervalSeconds": "must be at least 0"
    }
    assert problems({**BASE, "pollingIntervalSeconds": 2**31}) == {
        "pollingIntervalSeconds": "must be at most 2147483647"
    }
    assert problems({**BASE, "maxVarcharLength": "long"}) == {"maxVarcharLength": "must be a whole number"}
    assert (
        "text"
        in problems({**BASE, "tableProperties": {"replication_num": 1}})["tableProperties.replication_num"]
    )
    assert "SQL type" in problems({**BASE, "columnOverrides": {"year": " "}})["columnOverrides"]
    assert problems({**BASE, "tablename": "x"}) == {"tablename": "is not a field of this request"}


def test_problems_are_named_by_json_path_when_built_in_python() -> None:
    with pytest.raises(ValidationError) as e:
        CreatePipeTableRequest.model_validate(
            {
                "path_prefix": "p/",
                "source_storage_name": "s",
                "table_name": "T",
                "max_varchar_length": -1,
                "key_config": {"type": "aggregate", "columns": []},
            }
        )
    fields = {p.field for p in field_problems(e.value)}
    assert fields == {"tableName", "maxVarcharLength", "keyConfig.columns"}


COLUMNS = [
    ColumnInfo(name="id", type="BIGINT"),
    ColumnInfo(name="amount", type="DECIMAL(12,2)"),
    ColumnInfo(name="visitors", type="VARBINARY"),
    ColumnInfo(name="year", type="VARCHAR(255)"),
]


def check(body: dict[str, Any], columns: Any = COLUMNS) -> dict[str, str]:
    return {
        p.field: p.message for p in CreatePipeTableRequest.model_validate({**BASE, **body}).problems(columns)
    }


def test_aggregate_key_needs_an_aggregation_for_every_other_column() -> None:
    key = {"keyConfig": {"type": "aggregate", "columns": ["id"]}}
    found = check({**key, "aggregationOverrides": {"amount": "SUM"}})
    assert found == {"aggregationOverrides": found["aggregationOverrides"]}
    assert "visitors, year" in found["aggregationOverrides"]
    assert check({**key, "aggregationOverrides": {"amount": "SUM", "visitors": "MAX", "year": "MAX"}}) == {}
    # Without key columns the key is the first column.
    assert (
        check(
            {"keyConfig": {"type": "aggregate"}, "aggregationOverrides": {"amount": "SUM"}}, ["id", "amount"]
        )
        == {}
    )
    found = check(
        {**key, "aggregationOverrides": {"id": "MAX", "amount": "SUM", "visitors": "MAX", "year": "MAX"}}
    )
    assert "key column" in found["aggregationOverrides.id"]
    # Other key types ignore the overrides, as the API does.
    assert check({"keyConfig": {"type": "duplicate"}, "aggregationOverrides": {"nope": "SUM"}}) == {}


def test_sketch_columns_need_their_expression_and_aggregation() -> None:
    body = {
        "keyConfig": {"type": "aggregate", "columns": ["id"]},
        "columnOverrides": {"visitors": "HLL"},
        "aggregationOverrides": {"amount": "SUM", "visitors": "MAX", "year": "MAX"},
    }
    found = check(body)
    assert "HLL_UNION" in found["aggregationOverrides.visitors"]
    assert "HLL_HASH" in found["columnExpressions.visitors"]
    body["aggregationOverrides"]["visitors"] = "HLL_UNION"  # type: ignore[index]
    body["columnExpressions"] = {"visitors": {"column": "visitors", "function": "HLL_HASH"}}
    assert check(body) == {}


def test_columns_named_in_the_request_must_exist() -> None:
    found = check(
        {
            "keyConfig": {"type": "duplicate", "columns": ["ID"]},
            "distributionConfig": {"type": "hash", "columns": ["nope"]},
            "partitionConfig": {"type": "dateTrunc", "column": "day", "unit": "day"},
            "columnOverrides": {"yaer": "INT"},
            "columnExpressions": {"visits": {"column": "visitor", "function": "HLL_HASH"}},
        }
    )
    assert set(found) == {
        "keyConfig.columns",
        "distributionConfig.columns",
        "partitionConfig.column",
        "columnOverrides.yaer",
        "columnExpressions.visits",
        "columnExpressions.visits.column",
    }
    assert check({"partitionConfig": {"type": "column", "columns": ["year", "month"]}})[
        "partitionConfig.columns"
    ]
    # Without the columns only the cross-field rules can be checked.
    assert check({"keyConfig": {"type": "duplicate", "columns": ["ID"]}}, None) == {}


def test_random_distribution_only_with_a_duplicate_key() -> None:
    for kind in ("aggregate", "primary", "unique"):
        found = check({"keyConfig": {"type": kind}, "distributionConfig": {"type": "random"}}, None)
        assert "duplicate" in found["distributionConfig.type"]
    assert check({"keyConfig": {"type": "duplicate"}, "distributionConfig": {"type": "random"}}, None) == {}
    assert check({"distributionConfig": {"type": "random"}}, None) == {}


def test_partition_spec_keys_must_be_the_partition_columns() -> None:
    spec = RefreshPartitionRequest.model_validate({"partitionSpec": {"year": "2024", "month": "01"}})
    assert spec.to_json() == {"partitionSpec": {"year": "2024", "month": "01"}}
    assert spec.problems(["year", "month"]) == []
    [missing] = RefreshPartitionRequest(partition_spec={"year": "2024"}).problems(["year", "month"])
    assert missing == FieldProblem("partitionSpec", missing.message) and "missing month" in missing.message
    [extra] = RefreshPartitionRequest(partition_spec={"year": "2024", "day": "1"}).problems(["year"])
    assert "day" in extra.message
    assert RefreshPartitionRequest(partition_spec={"a": "1"}).problems([])
    with pytest.raises(ValidationError) as e:
        RefreshPartitionRequest.model_validate({"partitionSpec": {}})
    assert field_problems(e.value)[0].field == "partitionSpec"
    with pytest.raises(ValidationError) as e:
        RefreshPartitionRequest.model_validate({"partitionSpec": {"month": 1}})
    assert "text" in field_problems(e.value)[0].message


OPERATION = TypeAdapter(Operation)


def test_operation_variants_by_status() -> None:
    pending = OPERATION.validate_python({"id": "1", "kind": "create-pipe-table", "status": "pending"})
    assert isinstance(pending, PendingOperation)
    done = OPERATION.validate_python(
        {"id": "1", "kind": "analyze-statistics", "status": "succeeded", "result": {"tablesAnalyzed": 7}}
    )
    assert isinstance(done, SucceededOperation) and done.result == {"tablesAnalyzed": 7}
    deleted = OPERATION.validate_python({"id": "1", "kind": "delete-pipe-table", "status": "succeeded"})
    assert isinstance(deleted, SucceededOperation) and deleted.result is None
    failed = OPERATION.validate_python(
        {
            "id": "1",
            "kind": "create-pipe-table",
            "status": "failed",
            "error": {"title": "Bad Request", "status": 400, "detail": "No parquet files"},
        }
    )
    assert isinstance(failed, FailedOperation) and failed.error is not None and failed.error.status == 400
    newer = OPERATION.validate_python({"id": "1", "kind": "compact-table", "status": "running", "eta": 3})
    assert isinstance(newer, OtherOperation) and newer.kind == "compact-table"


def test_responses_keep_unknown_fields_and_variants() -> None:
    table = PipeTable.model_validate(
        {
            "pipeTableId": "p",
            "tableName": "t",
            "databaseName": "demo",
            "pathPrefix": "sales/",
            "sourceStorageName": "s",
            "columns": [{"name": "a", "type": "INT", "comment": "new"}],
            "partitionColumns": [],
            "keyConfig": {"type": "sorted", "columns": ["a"]},
            "distributionConfig": {"type": "hash", "buckets": 1, "columns": ["a"]},
            "pollingIntervalSeconds": 0,
            "tableProperties": {},
            "createdAt": "2026-01-01",
        }
    )
    assert table.key_config == {"type": "sorted", "columns": ["a"]}
    assert isinstance(table.distribution_config, HashDistributionConfig)
    assert table.model_extra == {"createdAt": "2026-01-01"}
    assert table.columns[0].model_extra == {"comment": "new"}
