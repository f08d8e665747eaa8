"""Password rules (long enough, not the demo password, not a very common one; no composition rules, as NIST
SP 800-63B advises) and one-time passwords for accounts an administrator creates or resets."""

from __future__ import annotations

import secrets

# Demo-only password shared by every demo account; never valid outside a demo database.
DEMO_PASSWORD = "cascade-demo"  # noqa: S105 - documented, refused everywhere but a demo
MIN_LENGTH = 10
MAX_LENGTH = 200

# The most common passwords of breach corpora that are at least MIN_LENGTH long, plus local favourites; a
# shorter one is refused by its length already.
COMMON = frozenset(
    [
        "1234567890",
        "0123456789",
        "12345678910",
        "1234567891",
        "0987654321",
        "1111111111",
        "0000000000",
        "1234512345",
        "1122334455",
        "qwertyuiop",
        "qwertyuiop123",
        "qwerty1234",
        "qwerty12345",
        "1q2w3e4r5t",
        "1q2w3e4r5t6y",
        "zaq12wsxcde",
        "1qaz2wsx3edc",
        "password12",
        "password123",
        "password1234",
        "passw0rd123",
        "iloveyou12",
        "iloveyou123",
        "abcdefghij",
        "abc1234567",
        "abcd123456",
        "a123456789",
        "123456789a",
        "123456789q",
        "aaaaaaaaaa",
        "princess12",
        "sunshine12",
        "football12",
        "baseball12",
        "welcome123",
        "welcome1234",
        "admin12345",
        "administrator",
        "matkhau123",
        "matkhau1234",
        "matkhau12345",
        "anhyeuem123",
        "anhyeuem1234",
        "emyeuanh123",
        "vietnam123",
        "vietnam1234",
        "vietnam2022",
        "hanoi12345",
        "saigon1234",
        "quangninh1",
        "quangninh123",
        "camphacity",
        "cascade123",
        "cascade1234",
        "cascadedemo",
        "123456789vn",
        "changeme123",
        "letmein123",
    ]
)


class PasswordError(ValueError):
    """The password is refused; `code` says why (`short`, `long`, `demo`, `common`, `username`)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check_strength(password: str, username: str = "") -> None:
    """Raise PasswordError when the password may not be used."""
    if len(password) < MIN_LENGTH:
        raise PasswordError("short")
    if len(password) > MAX_LENGTH:
        raise PasswordError("long")
    folded = password.strip().lower()
    if folded == DEMO_PASSWORD or DEMO_PASSWORD in folded.replace(" ", ""):
        raise PasswordError("demo")
    if folded in COMMON or len(set(folded)) <= 2:
        raise PasswordError("common")
    if username and folded == username.strip().lower():
        raise PasswordError("username")


def one_time_password() -> str:
    """Twelve easily read characters (no 0/O, 1/l), given by the administrator to the person once."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))


__all__ = ["DEMO_PASSWORD", "MIN_LENGTH", "PasswordError", "check_strength", "one_time_password"]
