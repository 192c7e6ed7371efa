"""Connection profiles: named settings for one service each, kept in the platform's config folder.

A profile holds no secret: passwords, tokens and secret keys live in the keyring
(``credentials.py``) under the key ``<profile name>/<secret name>``.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from .paths import config_dir, private_dir

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
    sandbox: bool = False

    def secret_key(self, secret: str) -> str:
        return f"{self.name}/{secret}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Profile:
        known = {k: v for k, v in doc.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class ProfileStore:
    """Profiles in ``<config dir>/profiles.json``; written atomically."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "profiles.json"
        self._profiles: dict[str, Profile] = {}
        self.load()

    def load(self) -> None:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            doc = {"profiles": []}
        self._profiles = {p["name"]: Profile.from_json(p) for p in doc.get("profiles", [])}

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
