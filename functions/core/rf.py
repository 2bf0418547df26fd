"""RF creditor references (ISO 11649) printed on rent notices.

``RF`` + two check digits + up to 21 letters or digits. The check digits make
``body + "RF" + check`` ≡ 1 (mod 97) once letters are read as numbers (A=10…).
"""

from __future__ import annotations

from functions.core.errors import InvalidReferenceError

MAX_BODY = 21


def _numeric(value: str) -> int:
    return int("".join(str(int(c, 36)) for c in value))


def make_rf(body: str) -> str:
    """The RF reference for ``body`` (letters and digits, at most 21)."""
    body = body.replace(" ", "").upper()
    if not body or len(body) > MAX_BODY or not body.isalnum() or not body.isascii():
        raise InvalidReferenceError("reference", f"{body!r}: 1 to 21 letters or digits")
    check = 98 - _numeric(body + "RF00") % 97
    return f"RF{check:02d}{body}"


def normalize_rf(value: str) -> str:
    """Checked, compact, upper-case form; raises InvalidReferenceError."""
    compact = value.replace(" ", "").upper()
    if (
        len(compact) < 5
        or len(compact) > 4 + MAX_BODY
        or not compact.startswith("RF")
        or not compact[2:4].isdigit()
        or not compact[4:].isalnum()
        or not compact.isascii()
    ):
        raise InvalidReferenceError("reference", f"{value!r} is not an RF creditor reference")
    if _numeric(compact[4:] + compact[:4]) % 97 != 1:
        raise InvalidReferenceError("reference", f"{value!r}: RF check digits do not match")
    return compact


def is_valid_rf(value: str) -> bool:
    try:
        normalize_rf(value)
    except InvalidReferenceError:
        return False
    return True


def format_rf(value: str) -> str:
    compact = value.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
