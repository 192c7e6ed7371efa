"""Passwords as the emulated services keep them: never the plain text, compared in constant time on
bytes (``hmac.compare_digest`` refuses ``str`` holding non-ASCII characters).

- StarRocks keeps a MySQL native password: ``*`` + upper-case hex of SHA1(SHA1(password))
  (MysqlPassword.makeScrambledPassword), and checks a plain password from HTTP Basic auth by
  scrambling it the same way (checkPlainPass).
- The cloud services' passwords (TaurusDB root and database users, the IAM user) are kept as
  salted scrypt hashes: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

_N, _R, _P = 2**14, 8, 1
_PREFIX = "scrypt$"


def same(given: str, expected: str) -> bool:
    """Constant-time equality of two texts, whatever characters they hold."""
    return hmac.compare_digest(_bytes(given), _bytes(expected))


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def mysql_native(password: str) -> str:
    """The MySQL native password hash StarRocks stores for a user (empty for no password)."""
    if not password:
        return ""
    stage1 = hashlib.sha1(password.encode("utf-8")).digest()
    return "*" + hashlib.sha1(stage1).hexdigest().upper()


def check_mysql_native(stored: str, password: str) -> bool:
    return same(mysql_native(password), stored)


def hash_secret(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P)
    b64 = base64.b64encode
    return f"{_PREFIX}{_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def is_hashed(value: str) -> bool:
    return value.startswith(_PREFIX)


# A password that matched a stored hash once, kept as a keyed fast hash for this process only: an
# API client asks for a token at each start and scrypt is made to take 50 ms (seconds of a test run
# that asks thousands of times). Bounded; a changed password has a new stored hash (a new salt).
_verified: dict[str, bytes] = {}
_KEY = os.urandom(32)
_VERIFIED_MAX = 256


def _fast(stored: str, password: str) -> bytes:
    return hmac.new(_KEY, _bytes(stored) + b"\0" + _bytes(password), hashlib.sha256).digest()


def verify_secret(stored: str, password: str) -> bool:
    known = _verified.get(stored)
    if known is not None and hmac.compare_digest(known, _fast(stored, password)):
        return True
    if _scrypt_matches(stored, password):
        if len(_verified) >= _VERIFIED_MAX:
            _verified.clear()
        _verified[stored] = _fast(stored, password)
        return True
    return False


def _scrypt_matches(stored: str, password: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


# PlainPasswordAuthenticationProvider.validatePassword's refusals (the FE wraps them; see
# ``password_problem``).
TOO_SHORT = "password is too short!"
TOO_PLAIN = "password should contains at least one digit, one lowercase letter and one uppercase letter!"


def password_problem(password: str) -> str | None:
    """What StarRocks' FE says of a new plain password when ``enable_validate_password`` is on:
    shorter than 8 (Java's String.length, UTF-16 units) is too short; otherwise it needs an ASCII
    digit, an ASCII lower-case and an ASCII upper-case letter — other characters count for the
    length only. None when it passes."""
    if len(password.encode("utf-16-le", "surrogatepass")) // 2 < 8:
        return TOO_SHORT
    has = {"digit": False, "lower": False, "upper": False}
    for c in password:
        if "0" <= c <= "9":
            has["digit"] = True
        elif "A" <= c <= "Z":
            has["upper"] = True
        elif "a" <= c <= "z":
            has["lower"] = True
    return None if all(has.values()) else TOO_PLAIN
