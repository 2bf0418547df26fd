"""Which bank format a file is, from its first bytes (never from its name).

Banks name files ``releve.txt``, ``EXTRAIT.DAT`` or ``camt054_20240105``;
only the content tells. Detection reads at most :data:`SNIFF_BYTES`.
"""

from __future__ import annotations

import re
from enum import StrEnum

SNIFF_BYTES = 8192


class Kind(StrEnum):
    ZIP = "zip"
    CAMT = "camt"
    PAIN002 = "pain.002"
    MT940 = "mt940"
    CFONB120 = "cfonb120"
    UNKNOWN = "unknown"


_XML_START = re.compile(rb"\s*(?:<\?xml[^>]*\?>)?\s*(?:<!--.*?-->\s*)*<", re.S)
_CAMT = re.compile(rb"camt\.05[234]|<(?:\w+:)?BkToCstmr(?:Stmt|AcctRpt|DbtCdtNtfctn)\b")
_PAIN002 = re.compile(rb"pain\.002|<(?:\w+:)?CstmrPmtStsRpt\b")
# A SWIFT tag at a line start: :20: transaction reference, :25: account,
# :28C: statement number, :60F/M: opening balance, :61: statement line.
_MT940_TAG = re.compile(rb"(?m)^:(?:20|25|28C?|60[FM]|61|86|62[FM]|13D?|34F):")
_CFONB_RECORD = re.compile(rb"(?m)^(?:01|04|05|07)\d{5}")


def _head(data: bytes) -> bytes:
    head = data[:SNIFF_BYTES]
    for bom in (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"):
        if head.startswith(bom):
            return head[len(bom) :]
    return head


def detect(data: bytes) -> Kind:
    """The kind of bank file ``data`` holds; :attr:`Kind.UNKNOWN` if none."""
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return Kind.ZIP
    head = _head(data)
    if _XML_START.match(head):
        if _CAMT.search(head):
            return Kind.CAMT
        if _PAIN002.search(head):
            return Kind.PAIN002
        return Kind.UNKNOWN
    if _MT940_TAG.search(head):
        return Kind.MT940
    if _looks_like_cfonb(head):
        return Kind.CFONB120
    return Kind.UNKNOWN


def _looks_like_cfonb(head: bytes) -> bool:
    """Most non-blank lines are CFONB records (code, bank code, 120 columns)."""
    lines = [line.rstrip(b"\r") for line in head.split(b"\n")]
    lines = [line for line in lines if line.strip()]
    if not lines:
        return False
    # A whole file may lack line ends: 120-column records glued together.
    if len(lines) == 1 and len(lines[0]) % 120 == 0 and _CFONB_RECORD.match(lines[0]):
        return True
    # The last sniffed line may be cut short; judge the others.
    judged = lines[:-1] if len(head) == SNIFF_BYTES and len(lines) > 1 else lines
    records = sum(1 for line in judged if _CFONB_RECORD.match(line) and len(line) >= 100)
    return records * 2 > len(judged)
