"""The sandbox's kept passwords: a match remembered (no second scrypt for the same password) never
lets another password through, and a new hash of the same password is checked afresh."""

from __future__ import annotations

from gui.sandbox import passwords


def test_a_remembered_match_lets_only_that_password_through() -> None:
    stored = passwords.hash_secret("Right#2026")
    assert not passwords.verify_secret(stored, "Wrong#2026")
    assert passwords.verify_secret(stored, "Right#2026")
    assert stored in passwords._verified  # remembered
    assert passwords.verify_secret(stored, "Right#2026")
    for other in ("Wrong#2026", "", "Right#2026 ", "right#2026", "Right#202"):
        assert not passwords.verify_secret(stored, other), other


def test_a_new_hash_of_another_password_is_not_answered_from_memory() -> None:
    old = passwords.hash_secret("Before#2026")
    assert passwords.verify_secret(old, "Before#2026")
    new = passwords.hash_secret("After#2026")
    assert not passwords.verify_secret(new, "Before#2026")
    assert passwords.verify_secret(new, "After#2026")
    assert not passwords.verify_secret("not a hash", "After#2026")


def test_what_is_remembered_stays_bounded() -> None:
    stored = [passwords.hash_secret(f"Pass#{i}") for i in range(3)]
    saved = passwords._VERIFIED_MAX
    passwords._VERIFIED_MAX = 2
    try:
        for i, s in enumerate(stored):
            assert passwords.verify_secret(s, f"Pass#{i}")
        assert len(passwords._verified) <= 2
        assert all(passwords.verify_secret(s, f"Pass#{i}") for i, s in enumerate(stored))
    finally:
        passwords._VERIFIED_MAX = saved
