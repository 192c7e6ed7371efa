"""What a statement does, read from its tokens (StarRocks has statements no SQL parser of ours
knows — PIPE, ADMIN, ALTER SYSTEM, SUBMIT TASK —, so no parse is needed and none can fail):

- ``read``: reads only (SELECT, SHOW, DESC, EXPLAIN, WITH … SELECT, ADMIN SHOW, HELP);
- ``session``: changes only this connection (USE, SET of a session variable, SET ROLE…);
- ``write``: changes data, objects or users;
- ``destructive``: drops or wipes something, or reconfigures the cluster — run only after the
  person typed ``confirm`` (the object's name, or the statement's keywords when it names none).

A read-only profile runs ``read`` and ``session`` statements only (``read_only_refusal``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .lexing import Kind, Token
from .statements import Statement

Effect = Literal["read", "session", "write", "destructive"]


@dataclass(frozen=True)
class Classification:
    effect: Effect
    verb: str  # the statement's leading keywords, e.g. "SELECT", "DROP TABLE", "ADMIN SET"
    what: str  # a sentence saying what it does
    confirm: str = ""  # what the person must type before a destructive statement runs

    @property
    def read_only(self) -> bool:
        return self.effect in ("read", "session")

    @property
    def needs_confirmation(self) -> bool:
        return self.effect == "destructive"


def read_only_refusal(stmt: Statement | Classification) -> str | None:
    """Why a read-only profile does not run this statement; None when it may."""
    c = stmt if isinstance(stmt, Classification) else classify(stmt)
    if c.read_only:
        return None
    return (
        f"{c.verb} is not read-only ({_lower_first(c.what)}). This profile is read-only: it runs "
        "SELECT, SHOW, DESC, EXPLAIN, ADMIN SHOW and session settings only."
    )


def _lower_first(s: str) -> str:
    s = s.rstrip(".")
    return s[:1].lower() + s[1:] if s[1:2].islower() else s


def classify(stmt: Statement) -> Classification:
    return _classify(list(stmt.tokens))


def _classify(toks: list[Token]) -> Classification:
    while toks and toks[0].text == "(":  # (SELECT ...) UNION ...
        toks = toks[1:]
    if not toks:
        return Classification("read", "", "An empty statement.")
    w = [t.word for t in toks]
    first = w[0]
    if first in ("SELECT", "VALUES", "TABLE"):
        return _select(toks, w)
    if first == "WITH":
        return _with(toks, w)
    if first in ("SHOW", "DESC", "DESCRIBE", "HELP"):
        return Classification("read", _verb(w, 2), "Shows information; changes nothing.")
    if first == "EXPLAIN":
        return _explain(toks, w)
    if first == "ADMIN":
        return _admin(toks, w)
    if first in ("USE", "SET"):
        return _session(toks, w)
    if first == "DROP":
        return _drop(toks, w)
    if first == "TRUNCATE":
        return _truncate(toks, w)
    if first in ("DELETE", "UPDATE"):
        return _delete_or_update(toks, w)
    if first == "INSERT":
        return _insert(toks, w)
    if first == "ALTER":
        return _alter(toks, w)
    if first == "REVOKE":
        return _revoke(toks, w)
    if first == "KILL":
        return Classification("write", "KILL", "Ends another connection or query.")
    if first in ("SUBMIT", "CREATE", "GRANT", "CANCEL", "RECOVER", "REFRESH", "LOAD", "ANALYZE"):
        return Classification("write", _verb(w, 2), "Changes the cluster's data, objects or users.")
    return Classification("write", first or toks[0].text, "Not known to only read; taken as a change.")


def _verb(w: Sequence[str], n: int) -> str:
    return " ".join(x for x in w[:n] if x)


def _depth0(toks: Sequence[Token]) -> list[int]:
    """Indexes of the tokens outside any parentheses."""
    out: list[int] = []
    depth = 0
    for i, t in enumerate(toks):
        if t.text == "(":
            depth += 1
        elif t.text == ")":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(i)
    return out


def _select(toks: list[Token], w: list[str]) -> Classification:
    top = _depth0(toks)
    for i in top:
        if w[i] == "INTO" and i + 1 < len(w) and w[i + 1] == "OUTFILE":
            target = _string_after(toks, i + 2)
            where = f" at {target}" if target else ""
            return Classification(
                "write", "SELECT … INTO OUTFILE", f"Writes the query's result into files{where}."
            )
    return Classification("read", w[0], "Reads data; changes nothing.")


def _with(toks: list[Token], w: list[str]) -> Classification:
    # The statement after the common table expressions decides (WITH … SELECT reads, WITH … DELETE
    # deletes): the first of these words outside the CTEs' parentheses.
    for i in _depth0(toks):
        if w[i] in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            c = _classify(toks[i:])
            return Classification(c.effect, f"WITH … {c.verb}", c.what, c.confirm)
    return Classification("read", "WITH … SELECT", "Reads data; changes nothing.")


def _explain(toks: list[Token], w: list[str]) -> Classification:
    if len(w) > 1 and w[1] == "ANALYZE":
        # EXPLAIN ANALYZE runs the statement to measure it: it does what the statement does.
        inner = _classify(toks[2:])
        if not inner.read_only:
            return Classification(inner.effect, f"EXPLAIN ANALYZE {inner.verb}", inner.what, inner.confirm)
        return Classification("read", "EXPLAIN ANALYZE", "Runs the query to profile it; changes nothing.")
    return Classification("read", "EXPLAIN", "Shows a query plan; runs nothing.")


def _admin(toks: list[Token], w: list[str]) -> Classification:
    second = w[1] if len(w) > 1 else ""
    if second == "SHOW":
        return Classification(
            "read",
            _verb(w, 4 if w[2:4] == ["FRONTEND", "CONFIG"] else 3),
            "Shows cluster state; changes nothing.",
        )
    if second == "SET" and w[2:4] == ["FRONTEND", "CONFIG"]:
        key, value = _property(toks, 4)
        change = f"{key} to {value}" if key else "a configuration item"
        return Classification(
            "destructive",
            "ADMIN SET FRONTEND CONFIG",
            f"Sets the FE configuration item {change} on the FE this connection reaches; it is not "
            "written to fe.conf, so that FE goes back to its file's value when it restarts.",
            key or "ADMIN SET",
        )
    if second == "SET":
        return Classification(
            "destructive", _verb(w, 4), "Changes the cluster's replica or tablet state by hand.", "ADMIN SET"
        )
    if second == "EXECUTE":
        return Classification(
            "destructive", "ADMIN EXECUTE", "Runs a script inside an FE or BE process.", "ADMIN EXECUTE"
        )
    return Classification("write", _verb(w, 3), "Changes the cluster's replicas or tablets.")


def _session(toks: list[Token], w: list[str]) -> Classification:
    if w[0] == "USE":
        return Classification("session", "USE", "Changes this connection's current database or catalog.")
    second = w[1] if len(w) > 1 else ""
    if second in ("PASSWORD", "PROPERTY", "DEFAULT"):
        return Classification("write", _verb(w, 2), "Changes a user's settings on the cluster.")
    top = _depth0(toks)
    for i in top:
        if w[i] == "GLOBAL" or (toks[i].text == "@@" and i + 1 < len(w) and w[i + 1] == "GLOBAL"):
            name = _name_after(toks, i + 1 if w[i] == "GLOBAL" else i + 3)
            return Classification(
                "destructive",
                "SET GLOBAL",
                f"Changes the system variable {name or ''} for every new session of the cluster.".replace(
                    "  ", " "
                ),
                name or "SET GLOBAL",
            )
    return Classification(
        "session",
        _verb(w, 2) if second in ("ROLE", "CATALOG", "NAMES") else "SET",
        "Changes a setting of this connection only.",
    )


# Words that say what kind of object a DROP drops, before its name.
_OBJECT_WORDS = {
    "TEMPORARY",
    "TABLE",
    "DATABASE",
    "SCHEMA",
    "VIEW",
    "MATERIALIZED",
    "EXTERNAL",
    "CATALOG",
    "RESOURCE",
    "GROUP",
    "GLOBAL",
    "FUNCTION",
    "USER",
    "ROLE",
    "INDEX",
    "PIPE",
    "TASK",
    "REPOSITORY",
    "FILE",
    "STORAGE",
    "VOLUME",
    "WAREHOUSE",
    "DICTIONARY",
    "STATS",
    "ANALYZE",
    "SECURITY",
    "INTEGRATION",
    "MAPPING",
    "MASKING",
    "ROW",
    "ACCESS",
    "POLICY",
    "SNAPSHOT",
    "HISTOGRAM",
    "JOB",
    "BASELINE",
    "CNGROUP",
    "SQLBLACKLIST",
    "ALL",
    "DATACACHE",
    "RULE",
    "FOLLOWER",
    "OBSERVER",
    "BACKEND",
    "FRONTEND",
    "BROKER",
    "COMPUTE",
    "NODE",
}
_WHAT_DROP: dict[str, str] = {
    "TABLE": "Deletes the table {name} and all its data",
    "TEMPORARY TABLE": "Deletes the temporary table {name} and its data",
    "DATABASE": "Deletes the database {name} with every table in it",
    "SCHEMA": "Deletes the database {name} with every table in it",
    "VIEW": "Deletes the view {name}",
    "MATERIALIZED VIEW": "Deletes the materialized view {name} and its data",
    "CATALOG": "Removes the catalog {name} (the external data stays where it is)",
    "EXTERNAL CATALOG": "Removes the catalog {name} (the external data stays where it is)",
    "USER": "Deletes the user {name}; their connections lose their privileges",
    "ROLE": "Deletes the role {name}; its users lose what it granted",
    "PIPE": "Deletes the pipe {name}; its loading stops",
    "TASK": "Deletes the task {name}",
    "INDEX": "Deletes the index {name}",
    "FUNCTION": "Deletes the function {name}",
}


def _drop(toks: list[Token], w: list[str]) -> Classification:
    i = 1
    while i < len(w) and w[i] in _OBJECT_WORDS and not _is_name_here(toks, w, i):
        i += 1
    kind = " ".join(w[1:i])
    if w[i : i + 2] == ["IF", "EXISTS"]:
        i += 2
    name, full = _qualified_name(toks, i)
    verb = f"DROP {kind}".strip()
    template = _WHAT_DROP.get(kind, f"Deletes the {kind.lower() or 'object'} {{name}}")
    what = template.format(name=full or "named").replace("  ", " ") + "."
    if kind in ("TABLE", "DATABASE", "SCHEMA"):
        forced = "FORCE" in w[i:]
        what += (
            " FORCE skips the recycle bin: RECOVER cannot bring it back."
            if forced
            else " Until the recycle bin is emptied, RECOVER can bring it back."
        )
    return Classification("destructive", verb, what, name or verb)


def _is_name_here(toks: list[Token], w: list[str], i: int) -> bool:
    """Whether the object word at ``i`` is in fact the name (DROP TABLE `user`, DROP USER task): a
    kind word is the name when nothing that could be a name follows it."""
    nxt = i + 1
    if nxt >= len(toks):
        return True
    if w[nxt : nxt + 2] == ["IF", "EXISTS"]:
        return False
    return toks[nxt].kind not in (Kind.WORD, Kind.NAME, Kind.STRING) or w[nxt] in ("FORCE", "ON")


def _truncate(toks: list[Token], w: list[str]) -> Classification:
    i = 2 if len(w) > 1 and w[1] == "TABLE" else 1
    name, full = _qualified_name(toks, i)
    parts = " of the named partitions" if "PARTITION" in w or "PARTITIONS" in w else ""
    return Classification(
        "destructive",
        "TRUNCATE TABLE",
        f"Deletes every row{parts} of the table {full or ''}; it cannot be undone.".replace("  ", " "),
        name or "TRUNCATE",
    )


def _delete_or_update(toks: list[Token], w: list[str]) -> Classification:
    verb = w[0]
    i = 1
    if verb == "DELETE":
        while i < len(w) and w[i] in ("FROM", "LOW_PRIORITY", "QUICK", "IGNORE"):
            i += 1
    name, full = _qualified_name(toks, i)
    has_where = any(w[j] == "WHERE" for j in _depth0(toks))
    if has_where:
        what = (
            "Deletes the rows that match its WHERE"
            if verb == "DELETE"
            else "Changes the rows that match its WHERE"
        )
        return Classification("write", verb, f"{what} in {full}.")
    what = "Deletes every row" if verb == "DELETE" else "Changes every row"
    return Classification(
        "destructive", f"{verb} without WHERE", f"{what} of the table {full}.", name or verb
    )


def _insert(toks: list[Token], w: list[str]) -> Classification:
    if len(w) > 1 and w[1] == "OVERWRITE":
        i = 3 if len(w) > 2 and w[2] == "TABLE" else 2
        name, full = _qualified_name(toks, i)
        parts = "the named partitions" if "PARTITION" in w[i:] else "all rows"
        return Classification(
            "destructive",
            "INSERT OVERWRITE",
            f"Replaces {parts} of the table {full} with the query's result.",
            name or "INSERT OVERWRITE",
        )
    return Classification("write", "INSERT", "Adds rows.")


def _alter(toks: list[Token], w: list[str]) -> Classification:
    second = w[1] if len(w) > 1 else ""
    if second == "SYSTEM":
        action = " ".join(x for x in w[2:5] if x and x not in ("IF", "NOT", "EXISTS"))
        nodes = [t.value for t in toks[3:] if t.kind is Kind.STRING]
        target = nodes[0] if len(nodes) == 1 else ""
        on = f" ({', '.join(nodes)})" if nodes else ""
        return Classification(
            "destructive",
            "ALTER SYSTEM",
            f"Changes the cluster's nodes: {action.lower() or 'alter system'}{on}.",
            target or "ALTER SYSTEM",
        )
    if second == "TABLE":
        name, full = _qualified_name(toks, 2)
        top = _depth0(toks)
        if any(w[j] == "DROP" for j in top):
            return Classification(
                "destructive",
                "ALTER TABLE … DROP",
                f"Drops part of the table {full} (a column, partition, rollup or index) with its data.",
                name or "ALTER TABLE",
            )
        return Classification("write", "ALTER TABLE", f"Changes the table {full}.")
    return Classification("write", _verb(w, 2), "Changes an object of the cluster.")


def _revoke(toks: list[Token], w: list[str]) -> Classification:
    top = _depth0(toks)
    for i in top:
        if w[i] == "FROM":
            j = i + 1
            kind = ""
            if j < len(w) and w[j] in ("USER", "ROLE", "EXTERNAL", "GROUP"):
                kind = w[j].lower() + " "
                j += 1
            name, full = _qualified_name(toks, j)
            return Classification(
                "destructive",
                "REVOKE",
                f"Takes privileges or roles away from the {kind or 'user or role '}{full}.",
                name or "REVOKE",
            )
    return Classification("destructive", "REVOKE", "Takes privileges or roles away.", "REVOKE")


# -- names ------------------------------------------------------------------------------------------


def _qualified_name(toks: list[Token], i: int) -> tuple[str, str]:
    """(the object's own name, the name as written with its database) of a name at ``i``, such as
    db.tbl, `a b`, 'user'@'host' (the user's name), fn(INT) (the function's)."""
    parts: list[str] = []
    while i < len(toks) and toks[i].kind in (Kind.WORD, Kind.NAME, Kind.STRING, Kind.OPEN):
        parts.append(toks[i].value if toks[i].kind is not Kind.WORD else toks[i].text)
        if i + 1 < len(toks) and toks[i + 1].text == ".":
            i += 2
            continue
        break
    if not parts:
        return "", ""
    return parts[-1], ".".join(parts)


def _name_after(toks: list[Token], i: int) -> str:
    name, _ = _qualified_name(toks, i)
    return name


def _string_after(toks: list[Token], i: int) -> str:
    return toks[i].value if i < len(toks) and toks[i].kind is Kind.STRING else ""


def _property(toks: list[Token], i: int) -> tuple[str, str]:
    """("key", "value") of ``( "key" = "value" )`` at ``i``."""
    vals = [t.value for t in toks[i:] if t.kind in (Kind.STRING, Kind.WORD, Kind.NAME, Kind.NUMBER)]
    return (vals[0], vals[1]) if len(vals) >= 2 else (vals[0] if vals else "", "")
