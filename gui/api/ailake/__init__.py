"""GoodData AI Lake: database instances, object storages, pipe tables, ANALYZE, services and
long-running operations.

    async with AILakeClient("https://org.cloud.gooddata.com", token) as lake:
        op = await lake.create_pipe_table("demo", {...})
        await lake.wait(op)
"""

from .client import AILakeClient, BearerToken, Pager
from .models import *  # noqa: F403
from .models import __all__ as _models

__all__ = ["AILakeClient", "BearerToken", "Pager", *_models]
