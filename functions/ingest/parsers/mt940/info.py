"""The three dialects of MT940's ``:86:`` (information to the account owner):
German ZKA/GVC sub-fields, Dutch structured ``/KEY/value/``, free text."""

from __future__ import annotations

import re
from collections.abc import Sequence

from functions.ingest.parsers.common import clean, normalize_iban
from functions.ingest.parsers.mt940.quirks import knab_rek_naam

_NOT_PROVIDED = "NOTPROVIDED"
_REMI_PREFIX = re.compile("USTD//|STRD/CUR/|STRD/ISO/")
_GVC = re.compile(r"^\s*(\d{3})([?>])\d{2}")
_SEPA_KEYS = ("EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "IBAN", "BIC")
_SEPA_KEY = re.compile(r"(" + "|".join(_SEPA_KEYS) + r")\+")
DUTCH_KEYS = [
    "EREF",
    "PREF",
    "MARF",
    "CSID",
    "CNTP",
    "REMI",
    "PURP",
    "ULTC",
    "ULTD",
    "ULTB",
    "TRTP",
    "IBAN",
    "BIC",
    "NAME",
    "ADDR",
    "BENM",
    "ORDP",
    "ISDT",
    "RTRN",
    "SVCL",
    "CREF",
    "ID",
    "CDTRREF",
    "CDTRREFTP",
    "CNTR",
]
_DUTCH = re.compile(r"/(" + "|".join(DUTCH_KEYS) + r")/")


# What a :86: says: (counterparty name, counterparty IBAN, end-to-end id,
# mandate id, remittance, return reason). A plain tuple: built once per entry
# and unpacked at once, where a class would cost a call and six stores.
Info = tuple[str | None, str | None, str | None, str | None, str | None, str | None]
NO_INFO: Info = (None, None, None, None, None, None)


def _gvc_info(text: str, separator: str) -> Info:
    """German structured :86: (ZKA "Geschäftsvorfallcode" + ?NN sub-fields).
    Sub-fields are cut at 27 characters mid-word, so lines join without space."""
    body = text.replace("\n", "")
    parts = re.split(re.escape(separator) + r"(\d{2})", body)
    sub: dict[str, str] = {}
    purpose: list[str] = []
    for key, value in zip(parts[1::2], parts[2::2], strict=False):
        if key.startswith("2") or key in ("60", "61", "62", "63"):
            purpose.append(value)
        else:
            sub[key] = sub.get(key, "") + value
    joined = "".join(purpose)
    sepa: dict[str, str] = {}
    pieces = _SEPA_KEY.split(joined)
    if len(pieces) > 1:
        for key, value in zip(pieces[1::2], pieces[2::2], strict=False):
            sepa[key] = clean(value) or ""
    end_to_end = sepa.get("EREF") or None
    if end_to_end and end_to_end.upper() == _NOT_PROVIDED:
        end_to_end = None
    account = clean(sub.get("31"))
    remittance = sepa.get("SVWZ") or (clean(pieces[0]) if pieces[0].strip() else None)
    if not sepa:
        remittance = clean(joined)
    return (
        clean((sub.get("32") or "") + (sub.get("33") or "")),  # name
        normalize_iban(account) if account and account[:2].isalpha() else None,  # iban
        end_to_end,
        sepa.get("MREF") or None,  # mandate
        remittance or clean(sub.get("00")),
        None,  # return reason
    )


def _dutch_info(parts: list[str]) -> Info:
    """Dutch structured :86: (``/KEY/value`` pairs), as ``_DUTCH.split`` cuts
    its lines joined without space (they are cut at 65 characters mid-word):
    the text before the first key, then key, value, key, value… Only the keys
    read are cleaned, each once."""
    pairs = iter(parts)
    next(pairs)
    # zip() without strict=, which would cost a keyword call per entry: the
    # split gives a value for every key.
    fields = dict(zip(pairs, pairs))  # noqa: B905
    if 2 * len(fields) + 1 < len(parts):
        # A key given twice: the dict kept its last value. Stored last to
        # first instead, the first value is the one that stays.
        fields = dict(zip(parts[-2:0:-2], parts[:0:-2]))  # noqa: B905
    get = fields.get
    name = iban = None
    cntp = get("CNTP")
    if cntp is not None:  # ING: /CNTP/iban/bic/name/city/
        counterparty = cntp.split("/")
        iban = normalize_iban(counterparty[0]) if counterparty[0] else None
        name = clean(counterparty[2]) if len(counterparty) > 2 else None
    name = name or _slashed(get("NAME"))
    if get("IBAN"):
        iban = iban or normalize_iban(fields["IBAN"].strip("/"))
    # Each value read at most once, and cleaned only when present.
    eref = get("EREF")
    if eref:
        eref = _slashed(eref)
    mandate = get("MARF")
    reason = get("RTRN")
    remi = get("REMI", "")
    prefix = _REMI_PREFIX.match(remi)  # ING: /REMI/USTD//free text/ or /REMI/STRD/CUR/ref/
    if prefix:
        remi = remi[prefix.end() :]
    return (
        name,
        iban,
        eref if eref and eref.upper() != _NOT_PROVIDED else None,
        _slashed(mandate) if mandate else None,
        clean(remi.strip("/")),
        _slashed(reason) if reason else None,
    )


def _slashed(value: str | None) -> str | None:
    """A ``/KEY/value/`` value without its slashes, whitespace collapsed."""
    return clean(value.strip("/")) if value else None


def read_info(lines: Sequence[str]) -> Info:
    first = lines[0]
    if first[:1] == "/":
        # The usual Dutch :86: starts with its first key: no GVC code (a
        # digit after spaces), nothing to strip, one split for the test and
        # the reading. The dialect is told from the lines as read, so the
        # first key must lie on the first line.
        parts = _DUTCH.split("".join(lines))
        if parts[0] == "" and len(parts) > 1 and len(parts[1]) + 2 <= len(first):
            return _dutch_info(parts)
    text = "\n".join(lines)
    m = _GVC.match(text)
    if m:
        return _gvc_info(text[m.start(2) :], m.group(2))
    body = text.lstrip()
    if _DUTCH.match(body):
        return _dutch_info(_DUTCH.split(body.replace("\n", "")))
    free = clean(" ".join(lines))
    iban, name = knab_rek_naam(free or "")
    return (name, normalize_iban(iban) if iban else None, None, None, free, None)
