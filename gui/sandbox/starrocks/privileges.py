"""Users, roles and grants of the emulated FE, and the privilege checks made before a statement runs.

The FE user (``--fe-user``) is StarRocks' ``root``: every privilege, through the built-in ``root``
role. Other users are made with CREATE USER and get what GRANT gives them or the roles they have
activated (``SET ROLE``), plus the ``public`` role. A refusal is StarRocks' ERR_ACCESS_DENIED (5203,
SQLSTATE 42000) with its text, e.g. ``Access denied; you need (at least one of) the SELECT
privilege(s) on TABLE orders for this operation. Please ask the admin to grant permission(s) or try
activating existing roles using <set [default] role>. Current role(s): [public]. Inactivated role(s):
NONE.``

Users and roles are documents of the store (kinds ``sr_user`` and ``sr_role``), so they survive a
restart; passwords are kept as the MySQL native hash the FE keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import passwords
from ..engine import EngineError
from ..store import Store
from . import ddl

USER_KIND = "sr_user"
ROLE_KIND = "sr_role"
BUILTIN_ROLES = {
    "root": "built-in root role which has all privileges on all objects",
    "db_admin": "built-in database administration role",
    "cluster_admin": "built-in cluster administration role",
    "user_admin": "built-in user administration role",
    "public": "built-in public role which is owned by any user",
}
TABLE_PRIVS = {"SELECT", "INSERT", "UPDATE", "DELETE", "DROP", "ALTER", "EXPORT"}
DB_PRIVS = {"CREATE TABLE", "DROP", "ALTER", "CREATE VIEW", "CREATE FUNCTION", "CREATE MATERIALIZED VIEW",
            "CREATE PIPE"}  # fmt: skip
SYSTEM_PRIVS = {"GRANT", "NODE", "OPERATE", "CREATE RESOURCE GROUP", "CREATE GLOBAL FUNCTION", "REPOSITORY",
                "BLACKLIST", "FILE", "CREATE STORAGE VOLUME", "SECURITY", "PLUGIN"}  # fmt: skip
CATALOG_PRIVS = {"USAGE", "CREATE DATABASE", "DROP", "ALTER"}
# What the built-in roles hold besides root's everything.
_BUILTIN_GRANTS: dict[str, list[dict[str, Any]]] = {
    "db_admin": [
        {"privs": sorted(TABLE_PRIVS), "type": "TABLE", "db": "*", "table": "*"},
        {"privs": sorted(DB_PRIVS), "type": "DATABASE", "db": "*", "table": ""},
        {"privs": sorted(CATALOG_PRIVS), "type": "CATALOG", "db": "", "table": ""},
    ],
    "cluster_admin": [{"privs": ["NODE", "OPERATE"], "type": "SYSTEM", "db": "", "table": ""}],
    "user_admin": [{"privs": ["GRANT"], "type": "SYSTEM", "db": "", "table": ""}],
    "public": [],
}


class Denied(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def identity(user: str) -> str:
    return f"'{user}'@'%'"


def _roles_text(roles: list[str]) -> str:
    return "[" + ", ".join(roles) + "]" if roles else "NONE"


def denied_text(
    priv: str, obj_type: str, name: str, current: list[str], inactive: list[str] | None = None
) -> str:
    on = f"{obj_type} {name}" if name else obj_type
    return (
        f"Access denied; you need (at least one of) the {priv} privilege(s) on {on} for this operation. "
        "Please ask the admin to grant permission(s) or try activating existing roles using "
        f"<set [default] role>. Current role(s): {_roles_text(current)}. "
        f"Inactivated role(s): {_roles_text(inactive or [])}."
    )


@dataclass
class _Target:
    kind: str  # USER or ROLE
    name: str


class Privileges:
    def __init__(
        self, store: Store, root_user: str, validate_password: Callable[[], bool] = lambda: False
    ) -> None:
        self.store = store
        self.root = root_user
        # The FE item enable_validate_password, read at each CREATE/ALTER USER.
        self.validate_password = validate_password

    # -- reading ------------------------------------------------------------------------------------
    def _user(self, name: str) -> dict[str, Any] | None:
        return self.store.get(USER_KIND, name)

    def password(self, user: str) -> str | None:
        doc = self._user(user)
        return None if doc is None else str(doc.get("password", ""))

    def user_roles(self, user: str) -> list[str]:
        if user == self.root:
            return ["root"]
        doc = self._user(user)
        return list(doc.get("roles", [])) if doc else []

    def default_roles(self, user: str) -> list[str]:
        if user == self.root:
            return ["root"]
        doc = self._user(user)
        return list(doc.get("default_roles", [])) if doc else []

    def _role_grants(self, role: str) -> list[dict[str, Any]]:
        if role in _BUILTIN_GRANTS:
            return _BUILTIN_GRANTS[role]
        doc = self.store.get(ROLE_KIND, role)
        return list(doc.get("grants", [])) if doc else []

    def _holds(
        self, user: str, active: list[str], priv: str, kind: str, db: str = "", table: str = ""
    ) -> bool:
        if user == self.root or "root" in active:
            return True
        doc = self._user(user) or {}
        grants = list(doc.get("grants", []))
        for role in [*active, "public"]:
            grants += self._role_grants(role)
        for g in grants:
            if g["type"] != kind or (priv not in g["privs"] and "ALL" not in g["privs"]):
                continue
            if kind == "TABLE" and g["db"] in ("*", db) and g["table"] in ("*", table):
                return True
            if kind == "DATABASE" and g["db"] in ("*", db):
                return True
            if kind in ("SYSTEM", "CATALOG"):
                return True
        return False

    def _deny(self, user: str, active: list[str], priv: str, obj: str, name: str) -> Denied:
        current = [r for r in active if r != "public"] + ["public"]
        inactive = [r for r in self.user_roles(user) if r not in active]
        return Denied(denied_text(priv, obj, name, current, inactive))

    # -- checks -------------------------------------------------------------------------------------
    def require_table(self, user: str, active: list[str], priv: str, db: str, table: str) -> None:
        if not self._holds(user, active, priv, "TABLE", db, table):
            raise self._deny(user, active, priv, "TABLE", table)

    def require_db(self, user: str, active: list[str], priv: str, db: str) -> None:
        if not self._holds(user, active, priv, "DATABASE", db):
            raise self._deny(user, active, priv, "DATABASE", db)

    def require_catalog(self, user: str, active: list[str], priv: str) -> None:
        if not self._holds(user, active, priv, "CATALOG"):
            raise self._deny(user, active, priv, "CATALOG", "default_catalog")

    def require_system(self, user: str, active: list[str], priv: str) -> None:
        if not self._holds(user, active, priv, "SYSTEM"):
            raise self._deny(user, active, priv, "SYSTEM", "")

    # -- CREATE/DROP/ALTER USER and ROLE, SET PASSWORD -----------------------------------------------
    def user_ddl(self, text: str) -> None:
        toks = [t for t in ddl.tokenize(text) if t.text != ";"]
        verb, what = toks[0].value, toks[1].value
        i = 2
        guard = False
        if i + 2 < len(toks) and toks[i].is_word("IF"):
            guard = True
            i += 3 if toks[i + 1].is_word("NOT") else 2
        name, i = _principal(toks, i)
        with self.store.lock:
            if what == "ROLE":
                self._role_ddl(verb, name, guard)
                return
            doc = self._user(name)
            if verb == "CREATE":
                if name == self.root or doc is not None:
                    if guard:
                        return
                    raise EngineError(f"Operation CREATE USER failed for {identity(name)}", 1396)
                doc = {"name": name, "password": "", "roles": [], "default_roles": [], "grants": []}
            elif doc is None:
                if verb == "DROP" and guard:
                    return
                raise EngineError(f"Operation {verb} USER failed for {identity(name)}", 1396)
            if verb == "DROP":
                self.store.delete(USER_KIND, name)
                return
            while i < len(toks):
                if toks[i].is_word("IDENTIFIED"):
                    i += 1
                    if i < len(toks) and toks[i].is_word("WITH"):
                        i += 2  # WITH mysql_native_password
                    if i < len(toks) and toks[i].is_word("BY", "AS"):
                        i += 1
                    hashed = i < len(toks) and toks[i].is_word("PASSWORD")
                    if hashed:
                        i += 1
                    if i >= len(toks) or toks[i].kind != ddl.STRING:
                        raise EngineError(
                            "Getting syntax error. Detail message: a password string is expected."
                        )
                    value = toks[i].value
                    if hashed and not (len(value) == 41 and value.startswith("*")):
                        raise EngineError("Password hash should be a 41-digit hexadecimal number", 5201)
                    if not hashed and self.validate_password():
                        # AuthenticationAnalyzer wraps the provider's refusal in a SemanticException.
                        # A hashed password is not checked here: what the FE would validate then is
                        # the hash's bytes, which says nothing of the password.
                        problem = passwords.password_problem(value)
                        if problem is not None:
                            raise EngineError(
                                "Getting analyzing error. Detail message: "
                                f"invalidate authentication: {problem}.",
                                1064,
                            )
                    doc["password"] = value.upper() if hashed else passwords.mysql_native(value)
                    i += 1
                elif toks[i].is_word("DEFAULT") and i + 1 < len(toks) and toks[i + 1].is_word("ROLE"):
                    roles, i = _names(toks, i + 2)
                    for r in roles:
                        self._require_role(r)
                    doc["roles"] = sorted(set(doc["roles"]) | set(roles))
                    doc["default_roles"] = roles
                else:
                    raise EngineError(
                        f"Getting syntax error. Detail message: Unexpected input '{toks[i].text}'."
                    )
            self.store.put(USER_KIND, name, doc)

    def _role_ddl(self, verb: str, name: str, guard: bool) -> None:
        exists = name in BUILTIN_ROLES or self.store.get(ROLE_KIND, name) is not None
        if verb == "CREATE":
            if exists:
                if guard:
                    return
                raise EngineError(f"Operation CREATE ROLE failed for {name} : role already exists", 1396)
            self.store.put(ROLE_KIND, name, {"name": name, "grants": []})
        elif verb == "DROP":
            if not exists:
                if guard:
                    return
                raise EngineError(f"Operation DROP ROLE failed for {name} : role not exists", 1396)
            if name in BUILTIN_ROLES:
                raise EngineError(f"{name} is a built-in role and cannot be dropped", 1064)
            self.store.delete(ROLE_KIND, name)
        else:
            raise EngineError(f"Getting syntax error. Detail message: Unexpected input '{verb}'.")

    def _require_role(self, role: str) -> None:
        if role not in BUILTIN_ROLES and self.store.get(ROLE_KIND, role) is None:
            raise EngineError(f"cannot find role {role}!", 1064)

    def set_password(self, user: str, text: str) -> None:
        toks = [t for t in ddl.tokenize(text) if t.text != ";"]
        target = user
        i = 2
        if i < len(toks) and toks[i].is_word("FOR"):
            target, i = _principal(toks, i + 1)
        if i < len(toks) and toks[i].text == "=":
            i += 1
        wrapped = i < len(toks) and toks[i].is_word("PASSWORD")
        if wrapped:
            i += 2
        if i >= len(toks) or toks[i].kind != ddl.STRING:
            raise EngineError("Getting syntax error. Detail message: a password string is expected.")
        with self.store.lock:
            doc = self._user(target)
            if doc is None:
                raise EngineError(f"Operation SET PASSWORD failed for {identity(target)}", 1396)
            doc["password"] = passwords.mysql_native(toks[i].value) if wrapped else toks[i].value.upper()
            self.store.put(USER_KIND, target, doc)

    # -- GRANT / REVOKE -------------------------------------------------------------------------------
    def grant_or_revoke(self, text: str, resolve_db: Callable[[str], str | None]) -> None:
        toks = [t for t in ddl.tokenize(text) if t.text != ";"]
        grant = toks[0].is_word("GRANT")
        i = 1
        on_at = next((k for k, t in enumerate(toks) if t.is_word("ON")), None)
        to_word = "TO" if grant else "FROM"
        to_at = next((k for k, t in enumerate(toks) if t.is_word(to_word)), None)
        if to_at is None:
            raise EngineError(
                "Getting syntax error. Detail message: Unexpected input '<EOF>', "
                f"the most similar input is {{'{to_word}'}}."
            )
        target = self._target(toks, to_at + 1)
        with self.store.lock:
            if on_at is None:  # GRANT role[, role] TO user
                roles, _ = _names(toks, i, stop=to_at)
                for r in roles:
                    self._require_role(r)
                if target.kind != "USER":
                    raise EngineError("Granting a role to a role is not supported by the sandbox", 1064)
                doc = self._require_user(target.name)
                have = set(doc.get("roles", []))
                doc["roles"] = sorted(have | set(roles)) if grant else sorted(have - set(roles))
                self.store.put(USER_KIND, target.name, doc)
                return
            privs = _privileges(toks[i:on_at])
            spec = self._object(toks[on_at + 1 : to_at], resolve_db)
            allowed = {"TABLE": TABLE_PRIVS, "DATABASE": DB_PRIVS, "SYSTEM": SYSTEM_PRIVS,
                       "CATALOG": CATALOG_PRIVS}[spec["type"]]  # fmt: skip
            for p in privs:
                if p != "ALL" and p not in allowed:
                    raise EngineError(
                        f"Getting analyzing error. Detail message: Cannot grant or revoke '{p}' on "
                        f"{spec['type'].lower()}.",
                        1064,
                    )
            doc = (
                self._require_user(target.name)
                if target.kind == "USER"
                else self._require_role_doc(target.name)
            )
            grants = [g for g in doc.get("grants", [])]
            if grant:
                grants.append({**spec, "privs": privs})
            else:
                kept = []
                for g in grants:
                    if all(g[k] == spec[k] for k in ("type", "db", "table")):
                        left = [p for p in g["privs"] if p not in privs and "ALL" not in privs]
                        if left:
                            kept.append({**g, "privs": left})
                    else:
                        kept.append(g)
                grants = kept
            doc["grants"] = grants
            self.store.put(USER_KIND if target.kind == "USER" else ROLE_KIND, target.name, doc)

    def _require_user(self, name: str) -> dict[str, Any]:
        doc = self._user(name)
        if doc is None:
            raise EngineError(
                f"Getting analyzing error. Detail message: cannot find user {identity(name)}.", 1064
            )
        return doc

    def _require_role_doc(self, name: str) -> dict[str, Any]:
        if name in BUILTIN_ROLES:
            raise EngineError(
                f"Getting analyzing error. Detail message: cannot modify built-in role {name}.", 1064
            )
        doc = self.store.get(ROLE_KIND, name)
        if doc is None:
            raise EngineError(f"cannot find role {name}!", 1064)
        return doc

    @staticmethod
    def _target(toks: list[ddl.Token], i: int) -> _Target:
        if i < len(toks) and toks[i].is_word("ROLE"):
            name, _ = _principal(toks, i + 1)
            return _Target("ROLE", name)
        if i < len(toks) and toks[i].is_word("USER"):
            i += 1
        name, _ = _principal(toks, i)
        return _Target("USER", name)

    @staticmethod
    def _object(toks: list[ddl.Token], resolve_db: Callable[[str], str | None]) -> dict[str, Any]:
        words = [t.value if t.kind in (ddl.WORD,) else t.text for t in toks]
        upper = [w.upper() for w in words]
        names = [t.value if t.kind in (ddl.QIDENT, ddl.STRING) else t.text for t in toks]

        def db_name(raw: str) -> str:
            real = resolve_db(raw)
            if real is None:
                raise EngineError(f"Getting analyzing error. Detail message: cannot find db: {raw}.", 1064)
            return real

        if upper[:1] == ["SYSTEM"]:
            return {"type": "SYSTEM", "db": "", "table": ""}
        if upper[:2] == ["CATALOG", "DEFAULT_CATALOG"] or upper[:1] == ["DEFAULT_CATALOG"]:
            return {"type": "CATALOG", "db": "", "table": ""}
        if upper[:2] == ["ALL", "DATABASES"]:
            return {"type": "DATABASE", "db": "*", "table": ""}
        if upper[:1] == ["DATABASE"]:
            return {"type": "DATABASE", "db": db_name(names[1]), "table": ""}
        if upper[:5] == ["ALL", "TABLES", "IN", "ALL", "DATABASES"]:
            return {"type": "TABLE", "db": "*", "table": "*"}
        if upper[:4] == ["ALL", "TABLES", "IN", "DATABASE"]:
            return {"type": "TABLE", "db": db_name(names[4]), "table": "*"}
        rest = names[1:] if upper[:1] == ["TABLE"] else names
        parts = [p for p in rest if p != "."]
        if len(parts) == 2:
            if parts == ["*", "*"]:
                return {"type": "TABLE", "db": "*", "table": "*"}
            return {"type": "TABLE", "db": db_name(parts[0]), "table": parts[1]}
        raise EngineError(
            "Getting syntax error. Detail message: the object of a grant must be TABLE db.table, "
            "ALL TABLES IN DATABASE db, DATABASE db, ALL DATABASES or SYSTEM.",
            1064,
        )

    def forget_db(self, db: str) -> None:
        """A dropped database takes its grants with it (the FE drops privileges on removed objects)."""
        with self.store.lock:
            for kind in (USER_KIND, ROLE_KIND):
                for doc in self.store.list(kind):
                    kept = [g for g in doc.get("grants", []) if g.get("db") != db]
                    if len(kept) != len(doc.get("grants", [])):
                        doc["grants"] = kept
                        self.store.put(kind, doc["name"], doc)

    # -- SHOW ---------------------------------------------------------------------------------------
    def show_grants_target(self, text: str, user: str) -> str:
        toks = [t for t in ddl.tokenize(text) if t.text != ";"]
        if len(toks) > 3 and toks[2].is_word("FOR"):
            name, _ = _principal(toks, 3)
            if name != self.root and self._user(name) is None:
                raise EngineError(
                    f"Getting analyzing error. Detail message: cannot find user {identity(name)}."
                )
            return name
        return user

    def show_grants(self, user: str) -> list[list[Any]]:
        who = identity(user)
        rows: list[list[Any]] = []
        roles = self.user_roles(user)
        if roles:
            rows.append([who, None, f"GRANT {', '.join(repr(r) for r in roles)} TO {who}"])
        doc = self._user(user) or {}
        for g in doc.get("grants", []):
            rows.append([who, "default_catalog", f"GRANT {', '.join(g['privs'])} ON {_on(g)} TO USER {who}"])
        return rows

    def show_roles(self) -> list[list[Any]]:
        rows: list[list[Any]] = [[r, "true", c] for r, c in BUILTIN_ROLES.items()]
        rows += [[d["name"], "false", None] for d in self.store.list(ROLE_KIND)]
        return rows

    def show_users(self) -> list[str]:
        return [identity(self.root), *(identity(d["name"]) for d in self.store.list(USER_KIND))]


def _on(g: dict[str, Any]) -> str:
    if g["type"] == "SYSTEM":
        return "SYSTEM"
    if g["type"] == "CATALOG":
        return "CATALOG default_catalog"
    if g["type"] == "DATABASE":
        return "ALL DATABASES" if g["db"] == "*" else f"DATABASE {g['db']}"
    if g["db"] == "*":
        return "ALL TABLES IN ALL DATABASES"
    if g["table"] == "*":
        return f"ALL TABLES IN DATABASE {g['db']}"
    return f"TABLE {g['db']}.{g['table']}"


def _principal(toks: list[ddl.Token], i: int) -> tuple[str, int]:
    """'name'[@'host'] (quoted or bare); the host part is accepted and not kept (every user is @'%')."""
    if i >= len(toks):
        raise EngineError(
            "Getting syntax error. Detail message: Unexpected input '<EOF>', "
            "the most similar input is {a legal identifier}."
        )
    t = toks[i]
    name = t.value if t.kind in (ddl.STRING, ddl.QIDENT) else t.text
    i += 1
    if i < len(toks) and toks[i].text == "@":
        i += 2
    return name, i


def _names(toks: list[ddl.Token], i: int, stop: int | None = None) -> tuple[list[str], int]:
    end = len(toks) if stop is None else stop
    out: list[str] = []
    while i < end:
        t = toks[i]
        if t.kind == ddl.WORD and t.value in ("IDENTIFIED", "DEFAULT") and stop is None:
            break
        if t.text != ",":
            out.append(t.value if t.kind in (ddl.STRING, ddl.QIDENT) else t.text)
        i += 1
    return out, i


def _privileges(toks: list[ddl.Token]) -> list[str]:
    privs: list[str] = []
    current: list[str] = []
    for t in toks:
        if t.text == ",":
            privs.append(" ".join(current))
            current = []
        elif not t.is_word("PRIVILEGES"):
            current.append(t.text.upper())
    if current:
        privs.append(" ".join(current))
    return privs
