"""Async clients of the services the console speaks: Huawei Cloud TaurusDB, AI Lake, StarRocks.

httpx only; nothing here imports Qt, so scripts and the ``load`` command use these directly.
"""
