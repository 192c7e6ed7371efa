"""Huawei Cloud TaurusDB StarRocks (HTAP) client: IAM token or AK/SK auth, typed models, jobs.

async with HuaweiCloudClient(region="cn-north-4", credentials=PasswordCredentials(...)) as hw:
    for inst in (await hw.list_htap_instances(taurus_id)).instances: ...
"""

from .auth import (
    AkSkCredentials,
    Credentials,
    HuaweiProfile,
    IamClient,
    PasswordCredentials,
    TokenAuth,
    TokenSource,
)
from .client import HuaweiCloudClient
from .models import (
    CreateStarRocksResult,
    DatabaseUser,
    DatabaseUserCreate,
    HtapDatastore,
    HtapFlavor,
    HtapInstance,
    HtapInstanceList,
    HtapStorageType,
    IamToken,
    Job,
    ResourceCheckRequest,
    StarRocksCreateRequest,
    StarRocksDatabaseList,
    StarRocksInstance,
    TaurusInstance,
    TaurusInstanceList,
    field_errors,
)
from .regions import gaussdb_endpoint, iam_endpoint
from .signer import AkSkAuth

__all__ = [
    "AkSkAuth",
    "AkSkCredentials",
    "CreateStarRocksResult",
    "Credentials",
    "DatabaseUser",
    "DatabaseUserCreate",
    "HtapDatastore",
    "HtapFlavor",
    "HtapInstance",
    "HtapInstanceList",
    "HtapStorageType",
    "HuaweiCloudClient",
    "HuaweiProfile",
    "IamClient",
    "IamToken",
    "Job",
    "PasswordCredentials",
    "ResourceCheckRequest",
    "StarRocksCreateRequest",
    "StarRocksDatabaseList",
    "StarRocksInstance",
    "TaurusInstance",
    "TaurusInstanceList",
    "TokenAuth",
    "TokenSource",
    "field_errors",
    "gaussdb_endpoint",
    "iam_endpoint",
]
