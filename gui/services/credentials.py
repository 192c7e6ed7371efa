"""Secrets, kept in the OS keyring under service ``starrocks-console`` and nowhere else.

This is the only module that imports keyring. Calls go through a worker thread (the Secret Service
backend talks D-Bus and may block). When no keyring backend exists, secrets are kept for this
session only, in memory, and ``persistent`` says so, so the console can tell the user.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
from dataclasses import dataclass

import keyring
import keyring.errors
from keyring.backends import fail

SERVICE = "starrocks-console"
# keyring backend modules and the names people know them by.
_BACKEND_NAMES = (
    ("keyring.backends.SecretService", "GNOME Keyring / Secret Service"),
    ("keyring.backends.libsecret", "GNOME Keyring / Secret Service (libsecret)"),
    ("keyring.backends.kwallet", "KDE Wallet"),
    ("keyring.backends.macOS", "macOS Keychain"),
    ("keyring.backends.Windows", "Windows Credential Manager"),
    ("keyring.backends.chainer", "the system keyrings"),
)


@dataclass
class KeyringState:
    usable: bool
    name: str  # the keyring as people know it
    why: str  # why secrets cannot be stored ("" when they can)
    note: str = ""  # something to know even so


def _reason(e: Exception) -> str:
    text = str(e).strip() or type(e).__name__
    return text[:1].lower() + text[1:]


log = logging.getLogger("starrocks_console.credentials")


class Credentials:
    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self._session: dict[str, str] = {}
        self._backend_error: str | None = None

    @property
    def persistent(self) -> bool:
        """Whether secrets survive this session (a real keyring backend is there)."""
        try:
            backend = keyring.get_keyring()
        except Exception as e:  # a broken keyring configuration is reported, not raised
            self._backend_error = str(e)
            return False
        return not isinstance(backend, fail.Keyring)

    def backend_name(self) -> str:
        """The keyring as people know it ("GNOME Keyring / Secret Service", "macOS Keychain")."""
        try:
            kr = keyring.get_keyring()
        except Exception:
            return "no keyring"
        module = type(kr).__module__
        for prefix, name in _BACKEND_NAMES:
            if module.startswith(prefix):
                return name
        return f"{type(kr).__module__}.{type(kr).__name__}"

    def check(self) -> KeyringState:
        """Whether secrets can be stored here now, and if not why, found without storing anything
        (called before the user types a secret, not after Save). Blocking: run it on a thread."""
        if not self.persistent:
            return KeyringState(False, self.backend_name(), "no keyring backend is available here")
        try:
            kr = keyring.get_keyring()
            if type(kr).__module__.startswith("keyring.backends.SecretService"):
                # The collection secrets go to must exist (a fresh account may have none: nothing
                # could be stored until one is made). Looked at, not unlocked: keyring's own lookup
                # would raise an unlock prompt and wait for it.
                import secretstorage

                with contextlib.closing(secretstorage.dbus_init()) as bus:
                    try:
                        collection = secretstorage.Collection(bus)  # the "default" alias
                    except secretstorage.exceptions.ItemNotFoundException:
                        return KeyringState(
                            False,
                            self.backend_name(),
                            "it has no default collection to keep them in (make one, e.g. with "
                            "Passwords and Keys, or unlock the login keyring)",
                        )
                    if collection.is_locked():
                        return KeyringState(
                            True,
                            self.backend_name(),
                            "",
                            "it is locked; your desktop asks to unlock it on Save",
                        )
        except Exception as e:  # every backend has its own errors; each means "cannot store"
            return KeyringState(False, self.backend_name(), _reason(e))
        return KeyringState(True, self.backend_name(), "")

    def get(self, key: str) -> str | None:
        if key in self._session:
            return self._session[key]
        if not self.persistent:
            return None
        try:
            return keyring.get_password(self.service, key)
        except keyring.errors.KeyringError as e:
            log.warning("keyring read failed for %s: %s", key, type(e).__name__)
            return None

    def set(self, key: str, secret: str) -> bool:
        """Store a secret; returns False when it is only kept for this session."""
        if self.persistent:
            try:
                keyring.set_password(self.service, key, secret)
                self._session.pop(key, None)
                return True
            except keyring.errors.KeyringError as e:
                log.warning("keyring write failed for %s: %s", key, type(e).__name__)
        self._session[key] = secret
        return False

    def remember(self, key: str, secret: str) -> None:
        """Hold a secret for this session only, whatever the keyring (the sandbox's credentials)."""
        self._session[key] = secret

    def forget(self, key: str) -> None:
        """Drop a session-only secret (the keyring is not touched)."""
        self._session.pop(key, None)

    def delete(self, key: str) -> None:
        self._session.pop(key, None)
        if not self.persistent:
            return
        try:
            keyring.delete_password(self.service, key)
        except keyring.errors.PasswordDeleteError:
            pass
        except keyring.errors.KeyringError as e:
            log.warning("keyring delete failed for %s: %s", key, type(e).__name__)

    # Keyring calls run on this module's own worker thread: the event loop's default executor may
    # log what it runs and returns (qasync's does, at DEBUG), and these values are secrets.
    async def aget(self, key: str) -> str | None:
        return await asyncio.get_running_loop().run_in_executor(_executor(), self.get, key)

    async def aset(self, key: str, secret: str) -> bool:
        return await asyncio.get_running_loop().run_in_executor(_executor(), self.set, key, secret)

    async def acheck(self) -> KeyringState:
        return await asyncio.get_running_loop().run_in_executor(_executor(), self.check)

    async def adelete(self, key: str) -> None:
        await asyncio.get_running_loop().run_in_executor(_executor(), self.delete, key)


_EXECUTOR: concurrent.futures.ThreadPoolExecutor | None = None


def _executor() -> concurrent.futures.ThreadPoolExecutor:
    global _EXECUTOR
    if _EXECUTOR is None:
        _EXECUTOR = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyring")
    return _EXECUTOR
