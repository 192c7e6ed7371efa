"""Alert thresholds per profile, in ``<config dir>/alerts.json`` (0600, written atomically).

Only what differs from the rules' defaults is kept::

    {"version": 1, "profiles": {"prod": {"disk_used": {"warning": 85, "critical": 95},
                                         "be_cpu": {"enabled": false}}}}

A threshold of ``null`` turns that level off. A file that cannot be read is set aside
(``alerts.json.damaged-<time>``) and the defaults apply; a file with some bad entries keeps the
others, and a copy of it is set aside. ``problems`` says what was found.
"""

from __future__ import annotations

import json
import math
import threading
from pathlib import Path
from typing import Any

from ..paths import config_dir
from .alerts import RULES_BY_ID, Limit, default_limits, num
from .files import set_aside, write_private

_KEEP: Any = object()  # "leave as it is" for set()


class AlertSettings:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "alerts.json"
        self.problems: list[str] = []
        self.set_aside: Path | None = None
        self._lock = threading.Lock()
        self._profiles: dict[str, dict[str, dict[str, Any]]] = {}
        self.load()

    # -- reading -----------------------------------------------------------------------------------
    def load(self) -> None:
        self.problems, self._profiles = [], {}
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        except OSError as e:
            self.problems.append(
                f"{self.path} could not be read ({e.strerror}); the default thresholds apply"
            )
            return
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            self._damaged(f"is not JSON text ({e})")
            return
        profiles = doc.get("profiles") if isinstance(doc, dict) else None
        if not isinstance(profiles, dict):
            self._damaged('does not hold an object of profiles under "profiles"')
            return
        bad: list[str] = []
        for name, rules in profiles.items():
            if not isinstance(rules, dict):
                bad.append(f"profile {name!r}: its thresholds are not an object")
                continue
            for rule_id, entry in rules.items():
                try:
                    self._check(rule_id, entry)
                except ValueError as e:
                    bad.append(f"profile {name!r}, rule {rule_id!r}: {e}")
                    continue
                self._profiles.setdefault(name, {})[rule_id] = dict(entry)
        if bad:
            copy = set_aside(self.path, "; ".join(bad), copy=True)
            self.problems += [f"{self.path}: {b}; the default applies" for b in bad]
            if copy:
                self.set_aside = copy
                self.problems.append(f"the file as it was is kept as {copy}")

    def _damaged(self, why: str) -> None:
        moved = set_aside(self.path, why)
        self.set_aside = moved
        where = f"; it was moved to {moved}" if moved else ""
        self.problems.append(f"{self.path} {why}{where}. The default thresholds apply.")

    @staticmethod
    def _check(rule_id: str, entry: Any) -> None:
        rule = RULES_BY_ID.get(rule_id)
        if rule is None:
            raise ValueError("no such rule")
        if not rule.editable:
            raise ValueError(f"the rule {rule.title!r} has no thresholds to change")
        if not isinstance(entry, dict) or entry.keys() - {"enabled", "warning", "critical"}:
            raise ValueError('wants an object of "enabled", "warning" and "critical"')
        if "enabled" in entry and not isinstance(entry["enabled"], bool):
            raise ValueError("enabled must be true or false")
        for level in ("warning", "critical"):
            value = entry.get(level)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"the {level} threshold must be a number or null")
            if value < 0:
                raise ValueError(f"the {level} threshold cannot be below 0")
        warning = entry.get("warning", rule.warning)
        critical = entry.get("critical", rule.critical)
        if warning is not None and critical is not None and warning > critical:
            raise ValueError(
                f"the warning threshold ({num(warning)}) must not be above the critical one ({num(critical)})"
            )

    def limits(self, profile: str) -> dict[str, Limit]:
        """Every rule's thresholds for a profile: its own where it has some, else the defaults."""
        out = default_limits()
        with self._lock:
            own = {k: dict(v) for k, v in self._profiles.get(profile, {}).items()}
        for rule_id, entry in own.items():
            base = out[rule_id]
            out[rule_id] = Limit(
                bool(entry.get("enabled", base.enabled)),
                entry["warning"] if "warning" in entry else base.warning,
                entry["critical"] if "critical" in entry else base.critical,
                base.at_least,
            )
        return out

    # -- changing ------------------------------------------------------------------------------------
    def set(
        self,
        profile: str,
        rule_id: str,
        *,
        warning: float | None = _KEEP,
        critical: float | None = _KEEP,
        enabled: bool | None = None,
    ) -> Limit:
        """Change a rule's thresholds for a profile (None turns a level off) and save. ValueError,
        with words for the field, when the change cannot be taken; nothing is saved then."""
        with self._lock:
            entry = dict(self._profiles.get(profile, {}).get(rule_id, {}))
            if warning is not _KEEP:
                entry["warning"] = warning
            if critical is not _KEEP:
                entry["critical"] = critical
            if enabled is not None:
                entry["enabled"] = enabled
            self._check(rule_id, entry)
            self._profiles.setdefault(profile, {})[rule_id] = entry
            self._save()
        return self.limits(profile)[rule_id]

    def reset(self, profile: str, rule_id: str | None = None) -> None:
        """Back to the defaults: one rule, or every rule of the profile."""
        with self._lock:
            own = self._profiles.get(profile)
            if own is None:
                return
            if rule_id is None:
                del self._profiles[profile]
            else:
                own.pop(rule_id, None)
                if not own:
                    del self._profiles[profile]
            self._save()

    def rename(self, old: str, new: str) -> None:
        with self._lock:
            if old in self._profiles:
                self._profiles[new] = self._profiles.pop(old)
                self._save()

    def remove(self, profile: str) -> None:
        self.reset(profile)

    def _save(self) -> None:
        body = {"version": 1, "profiles": self._profiles}
        write_private(self.path, (json.dumps(body, indent=2, sort_keys=True) + "\n").encode("utf-8"))
