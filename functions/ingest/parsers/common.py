"""Helpers shared by the bank-file parsers: amounts, dates, IBANs, text decoding.

Nothing here knows a file format; each helper raises ``ValueError`` on bad
input and the parser that called it turns that into a
:class:`~functions.core.errors.StatementParseError` with the file location.
"""

from __future__ import annotations

import codecs
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import IO

from functions.core.errors import StatementParseError
from functions.core.rf import is_valid_rf, normalize_rf
from functions.core.statements import Entry, Statement

_AMOUNT = re.compile(r"([+-]?)(\d{1,18})(?:[.,](\d*))?")


def cents_from_text(text: str | None) -> int:
    """``"12.3"``/``"12,30"``/``"-0.5"`` → cents; refuses sub-cent precision.

    Hand-rolled instead of ``Decimal`` because it runs once per amount of a
    100,000-entry file. Raises ``ValueError``.
    """
    if text is None:
        raise ValueError("missing amount")
    # Fast path for the usual "612.51": the same result as the pattern below
    # (``\\d`` and ``str.isdecimal`` accept the same digits) without a regex.
    whole, dot, frac = text.strip().partition(".")
    if not dot:  # MT940 writes "612,51"
        whole, dot, frac = whole.partition(",")
    if len(frac) == 2 and whole.isdecimal() and frac.isdecimal() and len(whole) <= 18:
        return int(whole + frac)
    m = _AMOUNT.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"{text.strip()[:40]!r} is not an amount")
    sign, whole, frac = m.groups()
    frac = frac or ""
    if len(frac) > 2:
        if frac[2:].strip("0"):
            raise ValueError(f"{text.strip()!r} has more than two decimals")
        frac = frac[:2]
    cents = int(whole) * 100 + int(frac.ljust(2, "0"))
    return -cents if sign == "-" else cents


def normalize_iban(value: str | None) -> str | None:
    """Upper case, no spaces; ``None`` for an empty value. Does not check it:
    a bank file states what the bank booked, even an odd account number."""
    if value is None:
        return None
    if value.isalnum():  # the usual: no spaces to take out (nor empty)
        return value.upper()
    cleaned = "".join(value.split()).upper()
    return cleaned or None


def normalize_reference(value: str | None) -> str | None:
    """A structured creditor reference; an ISO 11649 ``RF`` reference written
    in groups (``RF18 5390 0754 7034``) loses its spaces."""
    cleaned = clean(value)
    if cleaned and cleaned[:2].upper() == "RF":
        compact = cleaned.replace(" ", "").upper()
        if compact.isalnum():
            return compact
    return cleaned


# An RF reference typed into free text, possibly in groups of four.
_RF_IN_TEXT = re.compile(r"\bRF\s?\d{2}(?:\s?[A-Z0-9]){1,21}\b", re.IGNORECASE)


def find_rf(text: str | None) -> str | None:
    """The first ISO 11649 reference in free text whose check digits hold.

    Tenants often type the RF reference of their rent notice into the free
    remittance text; only a reference that checks is taken, so a random
    "RF12…" word cannot send a payment to the wrong lease.
    """
    if not text or "rf" not in text.lower():
        return None
    for m in _RF_IN_TEXT.finditer(text):
        candidate = m.group(0)
        # Groups may swallow the next word: try the longest prefix that checks.
        compact = candidate.replace(" ", "").upper()
        for end in range(len(compact), 4, -1):
            if is_valid_rf(compact[:end]):
                return normalize_rf(compact[:end])
    return None


# The clé RIB as in ``functions.core.viban.cle_rib`` (a test checks they
# agree). Repeated here because importing that module pulls schwifty: 0.1 s
# of start-up for every CFONB parse (a Lambda cold start, the CLI, the bench)
# to compute three products modulo 97.
_RIB_LETTERS = {c: str((i % 9) + 1) for i, c in enumerate("ABCDEFGHIJKLMNOPQR")} | {
    c: str(i + 2) for i, c in enumerate("STUVWXYZ")
}


def _rib_digits(value: str) -> int:
    return int("".join(_RIB_LETTERS.get(c, c) for c in value.upper()))


def cle_rib(bank: str, branch: str, account: str) -> str:
    """The two-digit French RIB key: ``97 - (89·bank + 15·branch + 3·account) mod 97``."""
    total = 89 * _rib_digits(bank) + 15 * _rib_digits(branch) + 3 * _rib_digits(account)
    return f"{97 - total % 97:02d}"


def french_iban(bank: str, branch: str, account: str) -> str | None:
    """The FR IBAN of a French RIB (bank, branch, account number without key)."""
    if not (bank.isdigit() and branch.isdigit() and account.isalnum() and len(account) == 11):
        return None
    bban = f"{bank}{branch}{account.upper()}{cle_rib(bank, branch, account)}"
    numeric = "".join(str(int(c, 36)) for c in bban + "FR00")
    return f"FR{98 - int(numeric) % 97:02d}{bban}"


def clean(value: str | None) -> str | None:
    """Collapse internal whitespace; ``None`` for an empty value."""
    if value is None:
        return None
    # Most values are clean already: say so without splitting and joining
    # (isprintable is False for tabs, line ends and other odd spaces).
    if value.isprintable() and "  " not in value and value.strip() == value:
        return value or None
    cleaned = " ".join(value.split())
    return cleaned or None


# --- dates -----------------------------------------------------------------
# Banks write booking times either as a plain date, a local time without
# offset, or an instant with an offset (often UTC "Z"). We keep the *day the
# bank booked it in French local time*: an instant is converted to
# Europe/Paris (EU summer-time rule, in force since 1996), a time without
# offset is taken as written. OCA's camt test expects 2014-01-05 from
# 2014-01-04T23:00:00.000Z for that reason.


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def paris_offset(instant: datetime) -> timedelta:
    """UTC offset of Europe/Paris at ``instant`` (an aware datetime)."""
    utc = instant.astimezone(UTC)
    start = datetime.combine(_last_sunday(utc.year, 3), datetime.min.time(), UTC) + timedelta(
        hours=1
    )
    end = datetime.combine(_last_sunday(utc.year, 10), datetime.min.time(), UTC) + timedelta(
        hours=1
    )
    return timedelta(hours=2) if start <= utc < end else timedelta(hours=1)


@lru_cache(maxsize=4096)
def iso_day(text: str) -> date:
    """ISO date or date-time → the local day (see above). Raises ``ValueError``."""
    text = text.strip()
    if len(text) == 10:
        return date.fromisoformat(text)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.date()
    utc = moment.astimezone(UTC)
    return (utc + paris_offset(utc)).date()


@lru_cache(maxsize=4096)
def yymmdd(text: str) -> date:
    """SWIFT ``YYMMDD`` (years 00-79 → 2000s, 80-99 → 1900s)."""
    if len(text) != 6 or not text.isdigit():
        raise ValueError(f"{text!r} is not a YYMMDD date")
    yy = int(text[:2])
    return date(2000 + yy if yy < 80 else 1900 + yy, int(text[2:4]), int(text[4:6]))


@lru_cache(maxsize=4096)
def ddmmyy(text: str) -> date:
    """CFONB ``DDMMYY`` (years 00-79 → 2000s, 80-99 → 1900s)."""
    if len(text) != 6 or not text.isdigit():
        raise ValueError(f"{text!r} is not a DDMMYY date")
    yy = int(text[4:6])
    return date(2000 + yy if yy < 80 else 1900 + yy, int(text[2:4]), int(text[:2]))


# --- text ------------------------------------------------------------------

# Bytes that CP1252 decodes to symbols or leaves undefined but CP1250 decodes
# to Central-European letters (ą ł Ł ť ź Ą ľ …); between two ASCII letters
# they betray a CP1250 file. (Œ/œ are left out: French words use them.)
_CP1250_TELLS = re.compile(rb"[A-Za-z][\x8d\x8f\x9d\x9f\xa3\xa5\xb3\xb9\xbc\xbe][A-Za-z]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same characters as bytes. In every encoding we guess (UTF-8, CP1250,
# CP1252, ISO-8859-1) each is one byte that no other character uses, so
# deleting them before decoding gives what deleting them after does, with
# ``bytes.translate`` at C speed: the regex over every character cost a
# third of the time of parsing a CFONB file.
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_UTF8_BOM = b"\xef\xbb\xbf"
_CHUNK = 1 << 20


def decode_text(data: bytes, encoding: str | None = None) -> str:
    """Bytes of a text format (MT940, CFONB) → ``str`` with ``\\n`` line ends.

    UTF-8 (with or without BOM) first, then CP1250 when its letters show,
    else CP1252, else ISO-8859-1 (which never fails). Stray control
    characters (SUB end-of-file marks, SOH/ETX transmission frames) are dropped.
    """
    if encoding is None:
        if data.startswith(_UTF8_BOM):
            data = data[3:]
        # The guess looks at the bytes as they came: deleting a control byte
        # could join the halves of a broken UTF-8 sequence.
        return _clean_bytes(data).decode(_guess_encoding(data))
    text = data.decode(encoding)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def _clean_bytes(data: bytes) -> bytes:
    """CR LF and lone CR become LF, then control characters are deleted (in
    this order, as on the decoded text: ``\\r\\x1a\\n`` is two line ends)."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data.translate(None, _CONTROL_BYTES)


def _guess_encoding(data: bytes) -> str:
    if data.isascii():
        return "utf-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return _encoding_8bit(data)
    return "utf-8"


def _encoding_8bit(data: bytes) -> str:
    if _CP1250_TELLS.search(data) and _decodes(data, "cp1250"):
        return "cp1250"
    return "cp1252" if _decodes(data, "cp1252") else "iso-8859-1"


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def guess_file_encoding(source: IO[bytes]) -> tuple[str, int]:
    """:func:`decode_text`'s encoding guess for a whole seekable binary file,
    read a chunk at a time: ``(encoding, offset of the text)``, the offset
    being 3 after a UTF-8 BOM."""
    source.seek(0)
    start = 3 if source.read(3) == _UTF8_BOM else 0
    source.seek(start)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        while chunk := source.read(_CHUNK):
            # ASCII is valid UTF-8 unless it follows a cut multi-byte sequence.
            if not chunk.isascii() or decoder.getstate()[0]:
                decoder.decode(chunk)
        decoder.decode(b"", True)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8", start
    # An 8-bit file: the CP1250 tells and the undefined bytes are looked for
    # in the whole file, as decode_text does.
    source.seek(start)
    tells, cp1250, cp1252, tail = False, True, True, b""
    while chunk := source.read(_CHUNK):
        # A tell is three bytes: look across the chunk boundary too.
        tells = tells or bool(_CP1250_TELLS.search(tail + chunk))
        tail = (tail + chunk)[-2:]
        cp1250 = cp1250 and _decodes(chunk, "cp1250")
        cp1252 = cp1252 and _decodes(chunk, "cp1252")
    if tells and cp1250:
        return "cp1250", start
    return ("cp1252" if cp1252 else "iso-8859-1"), start


class TextSeen:
    """What reading a file's text has seen so far (see :func:`iter_lines`)."""

    __slots__ = ("spaces_only",)

    def __init__(self, spaces_only: bool = True) -> None:
        # Whether all the text read so far is ASCII without tabs. With its
        # control characters deleted and its lines cut at their ends, such
        # text has no whitespace but spaces: collapsing whitespace (clean)
        # then only strips a field's ends, unless two spaces meet.
        self.spaces_only = spaces_only


# Lines are read 64 KiB at a time: a chunk's text and lines then stay in the
# processor's caches while they are parsed (1 MiB chunks parse 10% slower).
_LINE_CHUNK = 1 << 16


def iter_lines(
    source: IO[bytes], encoding: str, seen: TextSeen | None = None, chunk_size: int = 0
) -> Iterator[str]:
    """``decode_text(rest of source).split("\\n")``, one line at a time.

    Line ends are CR LF, LF or a lone CR, and stray control characters (SUB
    end-of-file marks, SOH/ETX transmission frames) are deleted. Memory is
    bounded: the text is read, decoded and cut into lines a chunk at a time,
    in C, and :func:`itertools.chain` hands out each chunk's lines (no
    generator resumed per line). ``encoding`` comes from
    :func:`guess_file_encoding` (``source`` is read from where it stands:
    after the BOM). ``seen`` learns of a chunk that is not ASCII or holds a
    tab before its lines are handed out.
    """
    lists = _line_lists(source, encoding, seen or TextSeen(), chunk_size or _LINE_CHUNK)
    return itertools.chain.from_iterable(lists)


def _line_lists(
    source: IO[bytes], encoding: str, seen: TextSeen, chunk_size: int
) -> Iterator[list[str]]:
    """The lines of :func:`iter_lines`, one list per chunk read."""
    decode = codecs.getincrementaldecoder(encoding)().decode
    held = b""  # a CR ending a chunk may be the first half of a CR LF
    unfinished: list[str] = []  # the start of a line longer than a chunk
    while True:
        chunk = source.read(chunk_size)
        final = not chunk
        if held:
            chunk, held = held + chunk, b""
        if not final and chunk.endswith(b"\r"):
            chunk, held = chunk[:-1], b"\r"
        lines, spaces_only = _split_lines(chunk, decode, final)
        if not spaces_only:
            seen.spaces_only = False
        if len(lines) > 1:
            if unfinished:
                lines[0] = "".join([*unfinished, lines[0]])
                unfinished = []
            unfinished.append(lines.pop())
            yield lines
        else:
            unfinished.append(lines[0])
        if final:
            yield ["".join(unfinished)]
            return


def _split_lines(
    chunk: bytes, decode: Callable[[bytes, bool], str], final: bool
) -> tuple[list[str], bool]:
    """A chunk's text cut at its line ends, and whether the text is ASCII
    without tabs. In the usual file, without control characters and with CR
    LF line ends throughout, that is one decoding and one split: looking for
    each control byte (memchr) costs less than deleting none, and checking
    the split lines for a CR or LF left less than counting the line ends."""
    if any(byte in chunk for byte in _CONTROL_BYTES):
        # CR LF and lone CR become LF, then control characters go (in this
        # order, as on decoded text: "\r\x1a\n" is two line ends).
        chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        chunk = chunk.translate(None, _CONTROL_BYTES)
        return decode(chunk, final).split("\n"), chunk.isascii() and b"\t" not in chunk
    # CR and LF are bytes of their own in every encoding read (never part
    # of a multi-byte character), so line ends can be cut after decoding.
    text = decode(chunk, final)
    lines = text.split("\r\n")
    rest = "".join(lines)
    if "\n" in rest or "\r" in rest:  # LF or lone CR line ends
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return lines, chunk.isascii() and b"\t" not in chunk


_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")
_DECLARED_ENCODING = re.compile(rb"encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def xml_as_utf8(data: bytes) -> bytes:
    """An XML file whose bytes are not the UTF-8 it claims (or defaults to)
    comes from an 8-bit export: re-encode it, without its declaration.
    Files declaring another encoding are left to the XML parser."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data
    declaration = _XML_DECLARATION.match(data)
    if declaration:
        declared = _DECLARED_ENCODING.search(declaration.group(0))
        if declared and declared.group(1).decode().lower().replace("_", "-") not in (
            "utf-8",
            "utf8",
        ):
            return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        body = data[declaration.end() :] if declaration else data
        return _decode_8bit(body).encode("utf-8")
    return data


def _decode_8bit(data: bytes) -> str:
    return data.decode(_encoding_8bit(data))


def parse_error(file: str, location: str | None, reason: str, parser: str) -> StatementParseError:
    return StatementParseError(file, location, reason, parser)


def entry_items(statements: Iterable[Statement]) -> Iterator[tuple[Statement, Entry | None]]:
    """The streaming shape of parsed statements: ``(header, entry)`` for each entry, then
    ``(header, None)`` to close each statement; the header carries no entries."""
    for statement in statements:
        header = Statement(
            statement.id,
            statement.account_iban,
            statement.account_other_id,
            statement.currency,
            statement.opening_balance,
            statement.closing_balance,
        )
        for entry in statement.entries:
            yield header, entry
        yield header, None
