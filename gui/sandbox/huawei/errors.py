"""Error answers as Huawei Cloud gives them.

Three shapes exist on the wire:
- the services behind the API gateway (TaurusDB here): ``{"error_code": "DBS.xxxxxx", "error_msg": ...}``;
- the API gateway itself (routing, AK/SK and token checks): the same keys plus ``request_id``, with
  ``APIGW.xxxx`` codes;
- IAM's Keystone-style token API: ``{"error": {"code": 401, "message": ..., "title": ...}}``.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..http import json_response

# TaurusDB codes, from Huawei's published TaurusDB/RDS error code tables; the messages are the
# documented English texts where one exists.
PARAM = "DBS.200001"
EMPTY_BODY = "DBS.200006"
NOT_AUTHORISED = "DBS.200010"
BUSY = "DBS.200019"
STORAGE_RANGE = "DBS.200023"
INVALID_AZ = "DBS.200025"
STORAGE_TYPE = "DBS.200026"
STORAGE_STEP = "DBS.200027"
ENGINE = "DBS.200040"
ENGINE_VERSION = "DBS.200041"
HA_MODE = "DBS.200051"
ROOT_PASSWORD = "DBS.200052"
FLAVOR_MISSING = "DBS.200053"
FLAVOR_INVALID = "DBS.200054"
INSTANCE_NAME = "DBS.280234"
TAURUS_NOT_FOUND = "DBS.200823"
# The StarRocks (HTAP) service answers 400 with this code for an instance it does not know; Huawei's
# Terraform provider turns exactly this answer into "resource gone".
HTAP_NOT_FOUND = "DBS.05000044"
SERVER_ERROR = "DBS.05000000"

MESSAGES = {
    PARAM: "Parameter error.",
    EMPTY_BODY: "The request is null. Enter a request parameter.",
    NOT_AUTHORISED: "The DB instance ID or user ID may be null, or the operation is not authorized.",
    BUSY: "Another operation is being performed on the DB instance or the DB instance is faulty.",
    STORAGE_RANGE: "Storage space is out of range.",
    INVALID_AZ: "Invalid AZ.",
    STORAGE_TYPE: "Invalid storage type.",
    STORAGE_STEP: "Storage space must be a multiple of 10.",
    ENGINE: "The DB engine or version is not supported.",
    ENGINE_VERSION: "Invalid database version.",
    HA_MODE: "Invalid HA mode.",
    ROOT_PASSWORD: "Invalid database root password.",
    FLAVOR_MISSING: "The selected specifications do not exist.",
    FLAVOR_INVALID: "The selected specifications are invalid.",
    INSTANCE_NAME: "Invalid DB instance name.",
    TAURUS_NOT_FOUND: "The DB instance does not exist.",
    HTAP_NOT_FOUND: "The HTAP instance does not exist.",
    SERVER_ERROR: "server error.",
}

# API gateway codes (Huawei's "API Request Signing Guide" FAQ and API Gateway error table).
APIGW_NO_API = "APIGW.0101"
APIGW_IAM = "APIGW.0301"


class ApiError(Exception):
    """An error answer; raised anywhere in a handler, turned into the response by the dispatcher."""

    def __init__(self, status: int, code: str, message: str | None = None, gateway: bool = False) -> None:
        super().__init__(message or MESSAGES.get(code, code))
        self.status = status
        self.code = code
        self.message = message or MESSAGES.get(code, code)
        self.gateway = gateway

    def response(self, request_id: str) -> Response:
        body: dict[str, Any] = {"error_code": self.code, "error_msg": self.message}
        if self.gateway:
            body["request_id"] = request_id
        return json_response(body, status=self.status)


class KeystoneError(Exception):
    """IAM's token API errors keep OpenStack Keystone's nested shape."""

    TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self, request_id: str) -> Response:
        title = self.TITLES.get(self.status, "Error")
        return json_response(
            {"error": {"message": self.message, "code": self.status, "title": title}}, self.status
        )


def param(detail: str) -> ApiError:
    """400 DBS.200001 with the field at fault named, so a caller can see which check refused it."""
    return ApiError(400, PARAM, f"Parameter error: {detail}")


def gateway_auth(detail: str) -> ApiError:
    return ApiError(401, APIGW_IAM, f"Incorrect IAM authentication information: {detail}", gateway=True)
