"""``ALTER SYSTEM`` and ``CANCEL DECOMMISSION BACKEND`` (StarRocks' SystemHandler and
SystemInfoService), over the sandbox's cluster.

- ``ADD BACKEND 'host:heartbeat_port'[, ...]`` registers a BE. The sandbox serves no process for it,
  so the FE's heartbeats to it fail and SHOW BACKENDS lists it not alive, with the heartbeat's error,
  as StarRocks lists a BE added before its process runs. Registrations are kept in the store (the
  FE's image keeps them).
- ``DROP BACKEND`` removes an added BE; ``DECOMMISSION BACKEND`` marks a BE SystemDecommissioned: no
  new load goes to it, and one that holds no tablets is dropped at the system handler's next round
  (``drop_backend_after_decommission``). ``CANCEL DECOMMISSION BACKEND`` takes the mark back.
- The BEs the sandbox runs (``--backends``) hold the tables' tablets and are served by it: they are
  not dropped (stop one with ``POST /_sandbox/backends/{id}``), and a decommissioned one keeps its
  tablets (nothing migrates them) until the decommission is cancelled.
- Frontends, compute nodes, brokers and the rest are refused: the sandbox runs one FE and no others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import ddl
from . import sql as sqlapi
from .cluster import BE_FIRST_ID, HEARTBEAT_REFUSED, MAX_BACKENDS

if TYPE_CHECKING:
    from ..app import Sandbox

K_ADDED = "sr_added_backend"


class SystemError_(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _host_port(text: str) -> tuple[str, int]:
    """'host:port' as SystemInfoService reads it (the refusal's wording is the sandbox's: the FE's
    analyzer text for a malformed address is not in the references)."""
    host, sep, port = text.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SystemError_(1064, f"Invalid host port format: {text}")
    return host, int(port)


class System:
    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb

    # -- statements (worker thread) ------------------------------------------------------------
    def run(self, text: str) -> None:
        p = sqlapi._TokCursor(text, ddl.tokenize(text))
        if p.accept("CANCEL"):
            p.expect("DECOMMISSION")
            p.expect("BACKEND")
            self._cancel(self._targets(p))
            return
        p.expect("ALTER")
        p.expect("SYSTEM")
        verb = p.peek()
        if verb is not None and verb.is_word("ADD", "DROP", "DECOMMISSION"):
            p.i += 1
            kind = p.peek()
            if kind is not None and kind.is_word("BACKEND"):
                p.i += 1
                targets = self._targets(p)
                if verb.value == "ADD":
                    self._add(targets)
                elif verb.value == "DROP":
                    self._drop(targets)
                else:
                    self._decommission(targets)
                return
        what = " ".join(t.text for t in p.toks[2:4]) or "ALTER SYSTEM"
        raise SystemError_(
            1064,
            f"ALTER SYSTEM {what.upper()} is not supported by the sandbox: it runs one FE, the BEs it was "
            "started with (--backends) and the ones ALTER SYSTEM ADD BACKEND registers",
        )

    def _targets(self, p: sqlapi._TokCursor) -> list[tuple[str, int]]:
        targets = [_host_port(p.string())]
        while p.accept_op(","):
            targets.append(_host_port(p.string()))
        p.done()
        return targets

    def _own(self, host: str, port: int) -> Any:
        for be in self.sb.cluster.backends:
            if be.heartbeat_port == port and host in (be.host, be.advertised_host):
                return be
        return None

    def _added(self, host: str, port: int) -> dict[str, Any] | None:
        return self.sb.store.get(K_ADDED, f"{host}:{port}")

    def _add(self, targets: list[tuple[str, int]]) -> None:
        with self.sb.store.lock:
            for host, port in targets:
                if self._own(host, port) is not None or self._added(host, port) is not None:
                    raise SystemError_(1064, f"Same backend already exists[{host}:{port}]")
            for host, port in targets:
                used = {int(d["id"]) for d in self.sb.store.list(K_ADDED)}
                be_id = BE_FIRST_ID + MAX_BACKENDS
                while be_id in used:
                    be_id += 1
                doc = {"id": be_id, "host": host, "port": port, "decommissioned": False}
                self.sb.store.put(K_ADDED, f"{host}:{port}", doc)

    def _drop(self, targets: list[tuple[str, int]]) -> None:
        with self.sb.store.lock:
            for host, port in targets:
                if self._own(host, port) is not None:
                    raise SystemError_(
                        1064,
                        f"Backend {host}:{port} is one the sandbox runs (--backends) and holds tablets: the "
                        "sandbox does not drop it; stop it with POST /_sandbox/backends/{id}",
                    )
                if self._added(host, port) is None:
                    raise SystemError_(1064, f"backend does not exists[{host}:{port}]")
            for host, port in targets:
                self.sb.store.delete(K_ADDED, f"{host}:{port}")

    def _decommission(self, targets: list[tuple[str, int]]) -> None:
        self._set_decommissioned(targets, True, lambda host, port: f"Backend does not exist[{host}:{port}]")

    def _cancel(self, targets: list[tuple[str, int]]) -> None:
        self._set_decommissioned(targets, False, lambda host, port: f"Backend does not exists[{host}]")

    def _set_decommissioned(
        self, targets: list[tuple[str, int]], decommissioned: bool, missing: Callable[[str, int], str]
    ) -> None:
        """Mark every target or none: an unknown one is refused (``missing``: StarRocks' own text, which
        differs between DECOMMISSION and CANCEL DECOMMISSION) before any is marked."""
        with self.sb.store.lock:
            found: list[Any] = []
            for host, port in targets:
                own = self._own(host, port)
                item = own if own is not None else self._added(host, port)
                if item is None:
                    raise SystemError_(1064, missing(host, port))
                found.append(item)
            for item in found:
                self._mark(item, decommissioned)

    def _mark(self, item: Any, decommissioned: bool) -> None:
        if isinstance(item, dict):
            item["decommissioned"] = decommissioned
            self.sb.store.put(K_ADDED, f"{item['host']}:{item['port']}", item)
        else:
            with self.sb.cluster.lock:
                item.decommissioned = decommissioned

    # -- the system handler's rounds ----------------------------------------------------------------
    async def sweep(self) -> None:
        await self.sb.store.run(self._drop_decommissioned)

    def _drop_decommissioned(self) -> None:
        """A decommissioned BE with no tablets left is dropped (added BEs never hold any)."""
        with self.sb.store.lock:
            for doc in self.sb.store.list(K_ADDED):
                if doc.get("decommissioned"):
                    self.sb.store.delete(K_ADDED, f"{doc['host']}:{doc['port']}")

    # -- SHOW BACKENDS -----------------------------------------------------------------------------
    def added_rows(self) -> list[list[str | None]]:
        """Rows of the added BEs: never heard from, so no start time, heartbeat, ports or disks."""
        rows: list[list[str | None]] = []
        status = sqlapi.compact(
            {"lastSuccessReportTabletsTime": "N/A", "lastStreamLoadTime": -1, "isQueryDisabled": False,
             "isLoadDisabled": False}
        )  # fmt: skip
        zero = sqlapi.byte_string(0)
        for doc in self.sb.store.list(K_ADDED):
            rows.append(
                [str(doc["id"]), doc["host"], str(doc["port"]), "-1", "-1", "-1", "NULL", "NULL", "false",
                 str(bool(doc.get("decommissioned"))).lower(), "false", "0", zero, zero, zero, "0.00 %",
                 "0.00 %", HEARTBEAT_REFUSED, "", status, zero, "0.00 %", "0", "0", "0.00 %", "0.0 %",
                 "N/A", ""]
            )  # fmt: skip
        return rows
