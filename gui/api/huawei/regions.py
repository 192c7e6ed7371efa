"""Where a Huawei Cloud region's TaurusDB (GaussDB for MySQL) and IAM services answer.

The hosts follow Huawei's SDK region tables (huaweicloudsdkgaussdb 3.1.219 ``GaussDBRegion`` and
huaweicloudsdkcore ``auth/endpoint.py``): nearly every region uses ``gaussdb.{region}``, a few
older ones kept the ``gaussdbformysql`` or ``gaussdb-mysql`` service names. A profile can override
both addresses (private endpoints, proxies, the sandbox).
"""

from __future__ import annotations

import re

# Regions whose TaurusDB API lives under another service name than "gaussdb".
GAUSSDB_SERVICE_EXCEPTIONS: dict[str, str] = {
    "ap-southeast-1": "gaussdbformysql",
    "ap-southeast-2": "gaussdbformysql",
    "tr-west-1": "gaussdbformysql",
    "cn-north-11": "gaussdbformysql",
    "me-east-1": "gaussdbformysql",
    "af-south-1": "gaussdb-mysql",
    "cn-east-5": "gaussdb-mysql",
    "la-north-2": "gaussdb-mysql",
    "cn-southwest-3": "gaussdb-mysql",
}

# The regions Huawei's SDK knows a GaussDB for MySQL endpoint for; other names still work (they
# get the usual host), this only feeds region pickers.
KNOWN_REGIONS: tuple[str, ...] = (
    "cn-north-4",
    "cn-north-2",
    "cn-north-9",
    "cn-north-11",
    "cn-east-3",
    "cn-east-5",
    "cn-south-1",
    "cn-south-4",
    "cn-southwest-2",
    "cn-southwest-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "af-south-1",
    "sa-brazil-1",
    "la-north-2",
    "ru-northwest-2",
    "tr-west-1",
    "me-east-1",
)

GLOBAL_IAM_ENDPOINT = "https://iam.myhuaweicloud.com"
DOMAIN = "myhuaweicloud.com"

_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")


def check_region(region: str) -> str:
    """The region id, or ValueError when it cannot be one (it goes into a host name)."""
    region = region.strip()
    if not _REGION.match(region):
        raise ValueError(
            f"{region!r} is not a Huawei Cloud region id; use the id shown in the console, e.g. cn-north-4"
        )
    return region


def gaussdb_endpoint(region: str) -> str:
    """The TaurusDB (GaussDB for MySQL) API address of a region."""
    region = check_region(region)
    service = GAUSSDB_SERVICE_EXCEPTIONS.get(region, "gaussdb")
    return f"https://{service}.{region}.{DOMAIN}"


def iam_endpoint(region: str | None) -> str:
    """The IAM address of a region; the global one when no region is given."""
    if not region:
        return GLOBAL_IAM_ENDPOINT
    return f"https://iam.{check_region(region)}.{DOMAIN}"
