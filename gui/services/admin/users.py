"""Users, roles and grants: SHOW USERS / SHOW ROLES / SHOW GRANTS FOR, CREATE USER, GRANT role TO user,
REVOKE role FROM user, DROP USER.

Password rules are StarRocks' own (PlainPasswordAuthenticationProvider.validatePassword): none unless
the FE item ``enable_validate_password`` is true; then, for CREATE USER and ALTER USER, at least 8
characters (Java's String.length: a character outside the Basic Multilingual Plane counts 2) and at
least one ASCII digit, one ASCII lower-case and one ASCII upper-case letter — accented letters and
other characters are allowed but count for the length only. The FE decides; what is shown here is
read from it, and its refusal is shown with its own text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .base import AdminSql, quote_string

MIN_LENGTH = 8  # validatePassword's minimum when enable_validate_password is on
# The FE's texts when it refuses a password (wrapped in "invalidate authentication: …").
TOO_SHORT = "password is too short!"
TOO_PLAIN = "password should contains at least one digit, one lowercase letter and one uppercase letter!"
RULES = [
    f"at least {MIN_LENGTH} characters",
    "a digit (0-9)",
    "a lower-case letter (a-z)",
    "an upper-case letter (A-Z)",
]


def java_length(text: str) -> int:
    """String.length() in Java: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass(frozen=True)
class PasswordRules:
    enforced: bool
    source: str  # where that was read ("enable_validate_password = false"), or why it is not known
    rules: list[str] = field(default_factory=list)

    def problems(self, password: str) -> list[str]:
        """What the FE will refuse in this password (none when it enforces no rules)."""
        if not self.enforced:
            return []
        out = []
        if java_length(password) < MIN_LENGTH:
            out.append(RULES[0])
        if not any("0" <= c <= "9" for c in password):
            out.append(RULES[1])
        if not any("a" <= c <= "z" for c in password):
            out.append(RULES[2])
        if not any("A" <= c <= "Z" for c in password):
            out.append(RULES[3])
        return out

    def refusal(self, password: str) -> str | None:
        """The text the FE answers for this password (it checks the length first), or None."""
        problems = self.problems(password)
        if not problems:
            return None
        return TOO_SHORT if problems[0] == RULES[0] else TOO_PLAIN


def user_identity(user: str, host: str = "%") -> str:
    return f"{quote_string(user)}@{quote_string(host)}"


class UsersService:
    def __init__(self, sql: AdminSql) -> None:
        self.sql = sql

    async def users(self) -> list[str]:
        """User identities as SHOW USERS gives them ('name'@'host')."""
        return [str(r[0]) for r in (await self.sql.query("SHOW USERS")).rows]

    async def roles(self) -> list[tuple[str, str, str]]:
        """(name, builtin, comment) of each role."""
        return [(str(r[0]), str(r[1]), str(r[2] or "")) for r in (await self.sql.query("SHOW ROLES")).rows]

    async def grants(self, identity: str) -> list[tuple[str, str]]:
        """(catalog, grant statement) of a user identity ('name'@'host' as SHOW USERS gives it)."""
        table = await self.sql.query(f"SHOW GRANTS FOR {identity}")
        return [(str(r[1] or ""), str(r[2] or "")) for r in table.rows]

    async def password_rules(self) -> PasswordRules:
        key = "enable_validate_password"
        try:
            table = await self.sql.query(f"ADMIN SHOW FRONTEND CONFIG LIKE {quote_string(key)}")
        except Exception as e:  # noqa: BLE001 - a reader without OPERATE still creates users
            why = getattr(e, "message", e)
            return PasswordRules(False, f"{key} could not be read ({why}); the FE decides")
        rows = table.dicts()
        if not rows:
            return PasswordRules(False, f"this FE has no {key} item: it accepts any password")
        value = str(rows[0].get("Value", "")).lower()
        if value != "true":
            return PasswordRules(False, f"{key} = {value}: any password is accepted")
        return PasswordRules(True, f"{key} = true", list(RULES))

    @staticmethod
    def create_statement(user: str, password: str, host: str = "%") -> str:
        return f"CREATE USER {user_identity(user, host)} IDENTIFIED BY {quote_string(password)}"

    async def create_user(self, user: str, password: str, host: str = "%") -> None:
        if not user.strip():
            from ...api import errors

            raise errors.InvalidRequest("a user name is needed", service="starrocks")
        sql = self.create_statement(user, password, host)
        # What "Show SQL" keeps: never the password.
        shown = self.create_statement(user, "***", host)
        result = await self.sql.runner.run(sql)
        first = result.statements[0]
        self.sql.note(shown, "ok" if first.status == "ok" else first.message, first.channel or "")
        if first.status != "ok":
            from ...api import errors

            raise first.error or errors.InvalidRequest(first.message, service="starrocks")

    async def grant_role(self, role: str, identity: str) -> None:
        await self.sql.change(f"GRANT {_role(role)} TO USER {identity}")

    async def revoke_role(self, role: str, identity: str, confirm: str) -> None:
        await self.sql.change(f"REVOKE {_role(role)} FROM USER {identity}", confirm=(confirm,))

    async def drop_user(self, identity: str, confirm: str) -> None:
        await self.sql.change(f"DROP USER {identity}", confirm=(confirm,))


def _role(role: str) -> str:
    return role if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", role) else "`" + role.replace("`", "``") + "`"
