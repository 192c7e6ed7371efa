"""Connection profiles: named settings for one service each, kept in the platform's config folder.

A profile holds no secret: passwords, tokens and secret keys live in the keyring
(``credentials.py``) under the key ``<profile name>/<secret name>``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .paths import config_dir, private_dir

log = logging.getLogger("starrocks_console.profiles")

Kind = Literal["huawei", "ailake", "starrocks"]
KINDS: tuple[Kind, ...] = ("huawei", "ailake", "starrocks")
KIND_TITLES = {"huawei": "Huawei Cloud", "ailake": "AI Lake", "starrocks": "StarRocks cluster"}
# Which secrets each kind of profile needs, by the name they are stored under.
SECRETS: dict[str, tuple[str, ...]] = {
    "huawei": ("password", "sk"),
    "ailake": ("token",),
    "starrocks": ("password",),
}


@dataclass
class Profile:
    name: str
    kind: Kind
    url: str = ""  # FE URL, AI Lake host, or a Huawei endpoint override
    user: str = ""
    # Huawei Cloud
    region: str = ""
    project_id: str = ""
    domain: str = ""  # the IAM account (domain) name
    iam_url: str = ""
    auth_method: Literal["password", "aksk"] = "password"
    ak: str = ""  # the access key id is not secret; its secret key is
    # TLS
    verify_tls: bool = True
    ca_bundle: str = ""
    # StarRocks cluster: BE address as the FE names it -> address reachable from here
    be_map: dict[str, str] = field(default_factory=dict)
    # An https FE whose BEs serve plain HTTP (StarRocks writes http:// in its redirects): only with
    # this consent does the password follow such a redirect.
    allow_plain_http_be: bool = False
    # The FE's MySQL-protocol port (StarRocks' query_port) on the host of ``url``: DDL, DML, ADMIN
    # and the SQL console need it; what the HTTP SQL API accepts works without it.
    query_port: int = 9030
    # TLS on the query port (StarRocks offers it only when the FE's ssl settings are configured);
    # verified with ``verify_tls`` and ``ca_bundle`` like the HTTP side. Required when on: a server
    # that does not take it is refused, never used in clear.
    query_tls: bool = False
    # Statements that change anything are refused before they are sent (SELECT, SHOW, DESC,
    # EXPLAIN, ADMIN SHOW and session settings only).
    read_only: bool = False
    sandbox: bool = False

    def secret_key(self, secret: str) -> str:
        return f"{self.name}/{secret}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: Any) -> Profile:
        """A profile from its record; ValueError says what is wrong with a damaged one."""
        if not isinstance(doc, dict):
            raise ValueError(f"a profile must be an object, not {type(doc).__name__}")
        name = doc.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a profile without a name")
        kind = doc.get("kind")
        if kind not in KINDS:
            known_kinds = ", ".join(KINDS)
            raise ValueError(
                f"profile {name!r} has the kind {kind!r}, which this console does not know ({known_kinds})"
            )
        known: dict[str, Any] = {}
        for key in cls.__dataclass_fields__:
            if key not in doc:
                continue
            value = doc[key]
            wanted = _FIELD_TYPES.get(key, str)
            if wanted is dict:
                ok = isinstance(value, dict) and all(
                    isinstance(k, str) and isinstance(v, str) for k, v in value.items()
                )
            elif wanted is int:
                ok = isinstance(value, int) and not isinstance(value, bool)
            else:
                ok = isinstance(value, wanted)
            if not ok:
                raise ValueError(f"profile {name!r}: {key} has the wrong type ({type(value).__name__})")
            known[key] = value
        if not 1 <= known.get("query_port", 9030) <= 65535:
            raise ValueError(f"profile {name!r}: query_port must be 1–65535, not {known['query_port']}")
        if known.get("auth_method", "password") not in ("password", "aksk"):
            raise ValueError(f"profile {name!r}: auth_method must be password or aksk")
        return cls(**known)


_FIELD_TYPES: dict[str, type] = {
    "verify_tls": bool,
    "allow_plain_http_be": bool,
    "query_port": int,
    "query_tls": bool,
    "read_only": bool,
    "sandbox": bool,
    "be_map": dict,
}


class ProfileStore:
    """Profiles in ``<config dir>/profiles.json``; written atomically.

    A damaged file never stops the console: a file that cannot be read at all is set aside (renamed
    ``profiles.json.damaged-<time>``) and the console starts without profiles; a file with some
    damaged records keeps the others, and a copy of it is set aside so nothing is lost. ``problems``
    says what was found, for the window to tell."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "profiles.json"
        self._profiles: dict[str, Profile] = {}
        self.problems: list[str] = []
        self.set_aside: Path | None = None
        self.load()

    def load(self) -> None:
        self.problems = []
        self._profiles = {}
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as e:
            self.problems.append(f"{self.path} could not be read ({e.strerror}); starting without profiles")
            return
        try:
            doc = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError:
            self._damaged("is not UTF-8 text")
            return
        except json.JSONDecodeError as e:
            self._damaged(f"is not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})")
            return
        records = doc.get("profiles") if isinstance(doc, dict) else None
        if not isinstance(records, list):
            self._damaged('does not hold a list of profiles under "profiles"')
            return
        bad: list[str] = []
        for record in records:
            try:
                profile = Profile.from_json(record)
            except ValueError as e:
                bad.append(str(e))
                continue
            if profile.name in self._profiles:
                bad.append(f"profile {profile.name!r} appears twice; the first is kept")
                continue
            self._profiles[profile.name] = profile
        if bad:
            copy = self._aside(copy=True)
            self.problems += [f"{self.path}: {b}" for b in bad]
            self.problems.append(f"the file as it was is kept as {copy}" if copy else "")
            self.problems = [p for p in self.problems if p]

    def _damaged(self, why: str) -> None:
        moved = self._aside(copy=False)
        where = f"; it was moved to {moved}" if moved else ""
        self.problems.append(f"{self.path} {why}{where}. The console starts without saved profiles.")

    def _aside(self, copy: bool) -> Path | None:
        target = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            if copy:
                shutil.copy2(self.path, target)
                target.chmod(0o600)
            else:
                self.path.rename(target)
        except OSError:
            return None
        self.set_aside = target
        log.warning("profiles: %s set aside as %s", self.path, target)
        return target

    def save(self) -> None:
        private_dir(self.path.parent)  # mkstemp makes the file itself 0600
        body = {"profiles": [p.to_json() for p in self._profiles.values()]}
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".profiles-", suffix=".json")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(body, f, indent=2)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def __iter__(self) -> Iterator[Profile]:
        return iter(self._profiles.values())

    def get(self, name: str) -> Profile | None:
        return self._profiles.get(name)

    def put(self, profile: Profile) -> None:
        self._profiles[profile.name] = profile
        self.save()

    def remove(self, name: str) -> None:
        self._profiles.pop(name, None)
        self.save()

    def of_kind(self, kind: Kind) -> list[Profile]:
        return [p for p in self._profiles.values() if p.kind == kind]
