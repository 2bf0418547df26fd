"""CFONB 120 entries and statements: an operation (``04``) and its
complements (``05``) made into an entry; a block into a statement."""

from __future__ import annotations

from collections.abc import Iterator

from functions.core.statements import Balance, Entry, EntryStatus, Statement, Transaction
from functions.ingest.parsers.cfonb120.records import Block, Dates
from functions.ingest.parsers.common import TextSeen, clean, find_rf

_NOT_PROVIDED = "NOTPROVIDED"
_BOOKED = EntryStatus.BOOKED


def entry_items(
    blocks: Iterator[Block], text: TextSeen
) -> Iterator[tuple[Statement, Entry | None]]:
    """``common.entry_items(iter_statements(…))``, without holding a block's
    entries: each is built as it is handed out, so that a consumer that does
    not keep it frees it at once. Reusing the memory just freed, with no
    entry for the garbage collector to go over again, is a fifth faster
    than building a block's thousand entries before the first goes out. (An
    entry is built from records already checked: building it raises no
    error.)"""
    make = entry  # a local: looked up once
    for head, iban, opening, closing, operations, notes in blocks:
        header = statement(head, iban, opening, closing, (), notes)
        for record, complements, cents, dates in operations:
            yield header, make(record, complements, cents, dates, iban, text.spaces_only)
        yield header, None


def statement(
    head: str,
    iban: str | None,
    opening: Balance | None,
    closing: Balance | None,
    entries: tuple[Entry, ...],
    notes: tuple[str, ...] = (),
) -> Statement:
    return Statement(
        None,
        iban,
        None if iban else f"{head[2:7]}{head[11:16]}{head[21:32].strip()}",
        head[16:19].strip() or "EUR",
        opening,
        closing,
        entries,
        notes,
    )


def entry(
    record: str,
    complements: list[str],
    cents: int,
    dates: Dates,
    account_iban: str | None,
    spaces_only: bool,
) -> Entry:
    """The entry of the 04 ``record`` and its 05 ``complements``. A
    complement's qualifier read more than once counts by its first line (the
    remittance lines excepted). ``spaces_only``: the records hold no other
    whitespace (see :class:`TextSeen`)."""
    firsts: dict[str, str] = {}  # each qualifier's first complement
    more_text = False  # several LCC lines, or LIB lines: the general case
    for complement in complements:
        qualifier = complement[45:48]
        if qualifier == "LIB" or (qualifier == "LCC" and "LCC" in firsts):
            more_text = True
        firsts.setdefault(qualifier, complement)
    payer, beneficiary = firsts.get("NPY"), firsts.get("NBE")
    client_ref, mandate, bank_ref, lcc = (firsts.get(q) for q in ("RCN", "RUM", "REF", "LCC"))
    credit = cents > 0
    # Text fields are whitespace-collapsed as common.clean does, written out
    # here: the calls cost as much as the rest of the entry. Stripping the
    # ends is enough for a field whose only whitespace is spaces (every
    # other whitespace character is unprintable) and that has no two
    # spaces in a row; only other fields are split into words and joined.
    # The payer of a credit, the beneficiary of a debit; banks fill one or
    # both (the other one stands in for a blank or missing name).
    first, second = (payer, beneficiary) if credit else (beneficiary, payer)
    name = first[48:118].strip() if first is not None else ""
    if not name and second is not None:
        name = second[48:118].strip()
    if "  " in name or not (spaces_only or name.isprintable()):
        name = " ".join(name.split())
    # RCN: the client's reference (35 characters: the SEPA end-to-end id),
    # then the purpose. (Only an 11-character text upper-cases to
    # NOTPROVIDED: the length spares most upper() calls.)
    end_to_end = client_ref[48:83].strip() if client_ref is not None else ""
    if "  " in end_to_end or not (spaces_only or end_to_end.isprintable()):
        end_to_end = " ".join(end_to_end.split())
    if len(end_to_end) == len(_NOT_PROVIDED) and end_to_end.upper() == _NOT_PROVIDED:
        end_to_end = ""
    # One LCC line (the usual case) is the remittance text.
    remittance = lcc[48:118].strip() if lcc is not None and not more_text else ""
    if "  " in remittance or not (spaces_only or remittance.isprintable()):
        remittance = " ".join(remittance.split())
    if not remittance:
        remittance = _remittance(record, complements) or ""
    reference = record[104:120].strip()
    if "  " in reference or not (spaces_only or reference.isprintable()):
        reference = " ".join(reference.split())
    transaction = Transaction(
        cents,
        name or None,
        None,
        account_iban if credit else None,
        end_to_end or None,
        (" ".join(mandate[48:83].split()) or None) if mandate is not None else None,
        remittance or None,
        find_rf(remittance) if "rf" in remittance.lower() else None,
    )
    return Entry(
        cents,
        record[16:19].strip() or "EUR",
        dates[0],
        dates[1],
        _BOOKED,
        False,
        reference or (clean(bank_ref[48:118]) if bank_ref is not None else None),
        # Two columns: strip() collapses them as clean() would.
        record[32:34].strip() or None,
        (transaction,),
    )


def _remittance(record: str, complements: list[str]) -> str | None:
    """The ``LCC`` lines (the payer's remittance text) joined, else the label
    (columns 49-79) followed by the ``LIB`` lines; blank lines left out."""
    lines = _texts(complements, "LCC") or [
        clean(record[48:79]) or "",
        *_texts(complements, "LIB"),
    ]
    return " ".join(line for line in lines if line) or None


def _texts(complements: list[str], qualifier: str) -> list[str]:
    found = (clean(c[48:118]) for c in complements if c[45:48] == qualifier)
    return [text for text in found if text]
