"""The French *fichier des écritures comptables* (FEC) of accounting entries.

Article A47 A-1 of the *livre des procédures fiscales*: one line per entry line, 18
columns in a fixed order, a header line with the column names, fields separated by
``|``, dates as ``YYYYMMDD``, amounts with a decimal comma and no thousands separator.
Encoded in ISO 8859-15 (one of the character sets the article allows). The file is
named ``<SIREN>FEC<closing date YYYYMMDD>.txt`` (:func:`fec_file_name`).

Choices where the article leaves room:
- ``EcritureNum`` is the entry id: unique, sorted by creation time, the same in every
  export (the ERP renumbers in its own sequence when it books).
- ``PieceRef`` is the entry's source (the bank transaction, with the lease for an
  allocation); ``PieceDate`` is the booking date of the payment.
- ``CompAuxNum`` is the tenant sub-ledger (the lease id); ``CompAuxLib`` its tenants'
  names (:func:`tenant_labels`), the lease id for a lease no longer known.
- ``ValidDate`` is the day the entry was created (Paris time).
- ``Montantdevise`` and ``Idevise`` stay empty: every amount is in euros.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from zoneinfo import ZoneInfo

from functions.core.accounting import FORMULA_STARTS, AccountingEntry
from functions.core.errors import ValidationError
from functions.core.lease import Lease

FEC_COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
FEC_ENCODING = "iso-8859-15"
PARIS = ZoneInfo("Europe/Paris")

# PCG labels of the accounts Encaisse books on; others are labelled by their number.
ACCOUNT_LABELS = {
    "512": "Banque",
    "411": "Clients - locataires",
    "471": "Compte d'attente",
}
JOURNAL_LABELS = {"BQ": "Banque", "AN": "A nouveaux", "OD": "Opérations diverses"}


def fec_amount(cents: int) -> str:
    """``41230`` → ``"412,30"``: decimal comma, no thousands separator."""
    if cents < 0:
        raise ValidationError("amount", "FEC amounts are positive (debit or credit)")
    whole, frac = divmod(cents, 100)
    return f"{whole},{frac:02d}"


def fec_date(value: date) -> str:
    return value.strftime("%Y%m%d")


def _field(value: str) -> str:
    """A field may hold neither the separator nor a line break, nor start like a
    spreadsheet formula (``=HYPERLINK(...)``): the leading ``= + - @`` are dropped, as an
    apostrophe would be data in the FEC. Our amounts and dates never start with them."""
    text = " ".join(value.replace("|", "/").split())
    while text.startswith(FORMULA_STARTS):
        text = text.lstrip("".join(FORMULA_STARTS)).lstrip()
    return text


def _account_label(account: str) -> str:
    for prefix, label in ACCOUNT_LABELS.items():
        if account.startswith(prefix):
            return label
    return f"Compte {account}"


def subledger_ids(entries: Iterable[AccountingEntry]) -> list[str]:
    """The tenant sub-ledgers (lease ids) the entries' lines use, once each, in order."""
    ids = (line.subledger for entry in entries for line in entry.lines if line.subledger)
    return list(dict.fromkeys(ids))


def tenant_labels(leases: Mapping[str, Lease]) -> dict[str, str]:
    """``CompAuxLib`` of each lease id: its tenants' names ("A et B")."""
    return {lease_id: lease.tenant_names for lease_id, lease in leases.items()}


def fec_rows(
    entries: Iterable[AccountingEntry], tenant_labels: Mapping[str, str] | None = None
) -> list[tuple[str, ...]]:
    """The data rows (no header), one per entry line, in the entries' order."""
    labels = tenant_labels or {}
    rows: list[tuple[str, ...]] = []
    for e in entries:
        when = fec_date(e.date)
        valid = fec_date(e.created_at.astimezone(PARIS).date())
        for line in e.lines:
            aux = line.subledger or ""
            rows.append(
                tuple(
                    _field(v)
                    for v in (
                        e.journal,
                        JOURNAL_LABELS.get(e.journal, f"Journal {e.journal}"),
                        e.entry_id,
                        when,
                        line.account,
                        _account_label(line.account),
                        aux,
                        labels.get(aux, aux) if aux else "",
                        e.source_id,
                        when,
                        line.label or e.label,
                        fec_amount(line.debit_cents),
                        fec_amount(line.credit_cents),
                        "",
                        "",
                        valid,
                        "",
                        "",
                    )
                )
            )
    return rows


def entries_as_fec(
    entries: Iterable[AccountingEntry], tenant_labels: Mapping[str, str] | None = None
) -> str:
    """The FEC text: header line and one line per entry line, ``\\r\\n``-terminated."""
    lines = ["|".join(FEC_COLUMNS)]
    lines.extend("|".join(row) for row in fec_rows(entries, tenant_labels))
    return "\r\n".join(lines) + "\r\n"


def fec_bytes(text: str) -> bytes:
    """ISO 8859-15; a character outside it (rare in French names) becomes ``?``."""
    return text.encode(FEC_ENCODING, errors="replace")


def fec_file_name(siren: str | None, closing: date) -> str:
    """``<SIREN>FEC<YYYYMMDD>.txt`` (``000000000`` when the SIREN is not set)."""
    return f"{siren or '000000000'}FEC{fec_date(closing)}.txt"
