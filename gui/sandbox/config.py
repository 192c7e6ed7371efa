"""Sandbox settings: addresses, data folder, the credentials it accepts, and its timings.

Every credential has a documented default and can be overridden by a command-line flag or by the
environment variable named in ``ENV``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

ENV_PREFIX = "STARROCKS_SANDBOX_"


@dataclass
class HuaweiCredentials:
    project_id: str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    region: str = "cn-north-4"
    ak: str = "SANDBOXACCESSKEY0001"
    sk: str = "sandboxSecretKey0123456789abcdefghijklmn"
    iam_user: str = "sandbox-admin"
    iam_password: str = "Sandbox@2026"
    iam_domain: str = "sandbox-account"


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 8030
    # None: 8040, or a free port when ``port`` is 0.
    be_port: int | None = None
    # The FE's MySQL-protocol port; None: 9030, or a free port when ``port`` is 0.
    query_port: int | None = None
    data_dir: Path | None = None
    # The address the FE writes into its 307s for the first BE (BE i: its port + i); None means each
    # BE's real address.
    be_advertise: str | None = None
    # How many BEs the cluster has, each on its own port with its own id, disks and metrics.
    backends: int = 1
    fe_user: str = "root"
    fe_password: str = "sandbox"
    ailake_token: str = "sandbox-ailake-token"
    huawei: HuaweiCredentials = field(default_factory=HuaweiCredentials)
    # How long a Huawei job stays Pending/Running before it completes (seconds).
    job_seconds: float = 3.0
    # How long an AI Lake operation stays pending before it is carried out (seconds).
    operation_seconds: float = 1.0
    # How often the background sweeper looks for timed-out transactions and new pipe files.
    sweep_seconds: float = 1.0
    # Lifetime of an IAM token (the real service issues 24 h tokens).
    token_seconds: float = 24 * 3600.0
    # The BE's streaming_load_max_mb: the largest load body, and (the sandbox's own guard against
    # compression bombs) the largest a compressed body may grow to once decompressed.
    streaming_load_max_mb: int = 10240
    # Connections each of the FE and BE addresses holds at once; more are closed on arrival.
    max_connections: int = 512
    # Seconds a client has, from connecting (or from the first byte of its next request), to send
    # the request line and headers.
    header_timeout: float = 30.0
    # Seconds a client of the query port (MySQL protocol) has to finish its handshake; as a MySQL
    # server's connect_timeout.
    query_handshake_timeout: float = 10.0
    # The FE's qe_max_connection (fe.conf): MySQL connections it holds at once, all users together.
    qe_max_connection: int = 4096
    # TLS on the query port, as an FE whose ssl_keystore_location is set (StarRocks 3.4.1 and later):
    # its handshake then offers SSL and a client may switch to TLS before it logs in. StarRocks reads
    # a PKCS12 keystore; the sandbox takes the PEM certificate and key such a keystore holds.
    ssl_cert: Path | None = None
    ssl_key: Path | None = None
    # The background query workload a fresh sandbox starts with (POST /_sandbox/workload changes it):
    # queries a second, the share that fails, and the 99th percentile of their latency.
    workload_qps: float = 1.0
    workload_error_rate: float = 0.01
    workload_p99_ms: float = 150.0
    # Stop when standard input reaches its end: the console keeps a pipe to the sandbox it starts,
    # and the pipe closes when the console exits, however it exits.
    exit_with_stdin: bool = False

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SandboxConfig:
        """Defaults, overridden by STARROCKS_SANDBOX_* variables (e.g. STARROCKS_SANDBOX_FE_PASSWORD,
        STARROCKS_SANDBOX_HUAWEI_SK)."""
        env = os.environ if environ is None else environ
        cfg = cls()
        for f in fields(cls):
            if f.name == "huawei":
                continue
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is not None:
                setattr(cfg, f.name, _coerce(getattr(cfg, f.name), f.name, raw))
        for f in fields(HuaweiCredentials):
            raw = env.get(ENV_PREFIX + "HUAWEI_" + f.name.upper())
            if raw is not None:
                setattr(cfg.huawei, f.name, raw)
        return cfg


def _coerce(current: object, name: str, raw: str) -> object:
    if name in ("data_dir", "ssl_cert", "ssl_key"):
        return Path(raw)
    if name in ("be_port", "query_port"):
        return int(raw)
    if isinstance(current, bool):
        return raw.lower() in ("1", "true", "yes")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    return raw
