"""Tenant documents (avis d'échéance, quittance, reçu, RIB, letter): what they say.

Pure: the kinds, their deterministic ids and numbers, the amounts a notice shows
and the rule that decides between a quittance and a reçu. Laying them out as PDF
belongs to ``functions.documents``.

The quittance rule (loi n° 89-462 du 6 juillet 1989, art. 21): a quittance is
only for a period whose rent and charges are fully paid; a partial payment gets
a reçu. Payments settle the oldest debts first, as the dunning does.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from functions.core.errors import ConflictError, ValidationError
from functions.core.ledger import LedgerLine, LineKind
from functions.core.messages import MONTHS_FR

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_LINE_CENTS = 10_000_000  # EUR 100,000.00: far above any monthly rent line


class DocumentKind(StrEnum):
    AVIS_ECHEANCE = "avis_echeance"
    QUITTANCE = "quittance"
    RECU = "recu"
    RIB = "rib"
    LETTER = "letter"


_PREFIX = {
    DocumentKind.AVIS_ECHEANCE: "AE",
    DocumentKind.QUITTANCE: "QL",
    DocumentKind.RECU: "RP",
    DocumentKind.RIB: "RIB",
    DocumentKind.LETTER: "LR",
}

TITLES = {
    DocumentKind.AVIS_ECHEANCE: "Avis d'échéance",
    DocumentKind.QUITTANCE: "Quittance de loyer",
    DocumentKind.RECU: "Reçu de paiement",
    DocumentKind.RIB: "Relevé d'identité bancaire",
    DocumentKind.LETTER: "Courrier",
}


class PeriodNotPaidError(ConflictError):
    """A quittance was asked for a period that is not fully paid."""


def check_period(period: object) -> str:
    """``YYYY-MM`` or ValidationError naming the field."""
    if not isinstance(period, str) or not _PERIOD.match(period):
        raise ValidationError("period", f"{period!r} is not a month written YYYY-MM")
    return period


def period_label(period: str) -> str:
    """``2026-03`` → ``mars 2026``."""
    year, month = check_period(period).split("-")
    return f"{MONTHS_FR[int(month) - 1]} {year}"


def document_id(org_id: str, lease_id: str, kind: DocumentKind, key: str) -> str:
    """A deterministic id: the same rent call (``key``) never makes a second notice.

    Safe in an S3 key and a URL: ``<prefix>-<key letters>-<hash>`` in lower case.
    """
    digest = hashlib.sha256(f"{org_id}\x00{lease_id}\x00{kind.value}\x00{key}".encode())
    readable = re.sub(r"[^a-z0-9]+", "", key.lower())[:12]
    return f"{_PREFIX[kind].lower()}-{readable}-{digest.hexdigest()[:16]}"


def document_number(doc_id: str) -> str:
    """The number printed on the document (its id, in capitals)."""
    return doc_id.upper()


def euros(cents: int) -> str:
    """``123456`` → ``1 234,56 €`` (French: narrow no-break space for thousands)."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    grouped = f"{whole:,}".replace(",", "\u202f")
    return f"{sign}{grouped},{frac:02d}\u00a0€"


@dataclass(frozen=True, slots=True)
class AmountLine:
    label: str
    amount_cents: int

    def __post_init__(self) -> None:
        if isinstance(self.amount_cents, bool) or not isinstance(self.amount_cents, int):
            raise ValidationError("amount_cents", "an integer number of cents")
        if abs(self.amount_cents) > MAX_LINE_CENTS:
            raise ValidationError("amount_cents", "at most 100000.00 EUR a line")


@dataclass(frozen=True, slots=True)
class NoticeAmounts:
    """The figures of an avis d'échéance.

    ``previous_balance_cents`` is the account before this call (positive: still
    owed; negative: a credit in the tenant's favour). Aid paid directly to the
    landlord (APL/AL tiers payant) is deducted.
    """

    lines: tuple[AmountLine, ...]
    aid_cents: int = 0
    previous_balance_cents: int = 0

    @property
    def period_total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines) - self.aid_cents

    @property
    def amount_due_cents(self) -> int:
        return max(0, self.period_total_cents + self.previous_balance_cents)


def rent_call_period(line: LedgerLine) -> str:
    """The period a rent-call line is for: from its label ``… YYYY-MM``, else its date."""
    tail = line.label.rsplit(" ", 1)[-1]
    if _PERIOD.match(tail):
        return tail
    return f"{line.date:%Y-%m}"


@dataclass(frozen=True, slots=True)
class Settlement:
    """How much of a period's rent call the payments booked so far cover."""

    period: str
    due_cents: int
    paid_cents: int
    due_date: date

    @property
    def fully_paid(self) -> bool:
        return self.due_cents > 0 and self.paid_cents >= self.due_cents

    @property
    def kind(self) -> DocumentKind | None:
        """Quittance when fully paid, reçu when partly, nothing when not at all."""
        if self.fully_paid:
            return DocumentKind.QUITTANCE
        return DocumentKind.RECU if self.paid_cents > 0 else None


def settlement(lines: Iterable[LedgerLine], period: str) -> Settlement | None:
    """The period's settlement, payments covering the oldest debits first.

    None when the ledger holds no rent call for that period.
    """
    check_period(period)
    lines = list(lines)
    calls = [x for x in lines if x.kind is LineKind.RENT_CALL and rent_call_period(x) == period]
    if not calls:
        return None
    credits = -sum(x.amount_cents for x in lines if x.amount_cents < 0)
    call_ids = {c.line_id for c in calls}
    debits = sorted((x for x in lines if x.amount_cents > 0), key=lambda x: (x.date, x.line_id))
    due = sum(c.amount_cents for c in calls)
    paid = 0
    owed_before = 0
    for debit in debits:
        if debit.line_id in call_ids:
            paid += min(debit.amount_cents, max(0, credits - owed_before))
        owed_before += debit.amount_cents
    return Settlement(period, due, paid, min(c.date for c in calls))


def require_fully_paid(lines: Sequence[LedgerLine], period: str) -> Settlement:
    """The settlement of a fully paid period, or PeriodNotPaidError (HTTP 409)."""
    found = settlement(lines, period)
    if found is None:
        raise PeriodNotPaidError(f"period {period}: no rent call for this period")
    if not found.fully_paid:
        raise PeriodNotPaidError(
            f"period {period}: {euros(found.paid_cents)} paid of {euros(found.due_cents)}"
            " — a quittance is only issued for a fully paid period"
        )
    return found


class Delivery(StrEnum):
    """Where a document goes: the tenant's digital safe (consent given) or the print run."""

    SAFE = "safe"
    PRINT = "print"


class DocumentStatus(StrEnum):
    STORED = "stored"
    NOTIFIED = "notified"
    QUEUED_FOR_PRINT = "queued_for_print"
    PRINTED = "printed"


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """The manifest of one stored PDF (``<org>/<lease>/<document id>.pdf``)."""

    org_id: str
    lease_id: str
    document_id: str
    kind: DocumentKind
    period: str | None
    sha256: str
    size: int
    created_at: datetime
    delivery: Delivery
    status: DocumentStatus
    postcode: str = ""

    @property
    def object_key(self) -> str:
        return object_key(self.org_id, self.lease_id, self.document_id)


def object_key(org_id: str, lease_id: str, doc_id: str) -> str:
    return f"{org_id}/{lease_id}/{doc_id}.pdf"


class ConsentSource(StrEnum):
    PORTAL = "portal"
    PAPER = "paper"
    STAFF = "staff"
    CAMPAIGN = "campaign"
    """Given through a consent campaign's signed link (never set by hand)."""


class ConsentChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PORTAL = "portal"


@dataclass(frozen=True, slots=True)
class Consent:
    """A tenant's e-delivery consent, as last given or withdrawn."""

    e_delivery: bool
    source: ConsentSource
    channel: ConsentChannel
    at: datetime


def parse_consent(body: object, at: datetime) -> Consent:
    """``{"e_delivery": bool, "source", "channel"}`` or ValidationError naming the field."""
    if not isinstance(body, dict):
        raise ValidationError("body", "a JSON object")
    e_delivery = body.get("e_delivery")
    if not isinstance(e_delivery, bool):
        raise ValidationError("e_delivery", "true or false")
    source = body.get("source", ConsentSource.STAFF.value)
    by_hand = [s.value for s in ConsentSource if s is not ConsentSource.CAMPAIGN]
    if not isinstance(source, str) or source not in by_hand:
        raise ValidationError("source", "one of " + ", ".join(by_hand))
    channel = body.get("channel", ConsentChannel.EMAIL.value)
    if not isinstance(channel, str) or channel not in {c.value for c in ConsentChannel}:
        raise ValidationError("channel", "one of " + ", ".join(c.value for c in ConsentChannel))
    return Consent(e_delivery, ConsentSource(source), ConsentChannel(channel), at)


def delivery_for(consent: Consent | None, erp_flag: bool) -> Delivery:
    """The safe with consent; the print run otherwise (the ERP's flag when never asked)."""
    given = consent.e_delivery if consent is not None else erp_flag
    return Delivery.SAFE if given else Delivery.PRINT


@dataclass(frozen=True, slots=True)
class PrintItem:
    """One document of a print batch, with what the mail house's index lists."""

    document_id: str
    lease_id: str
    tenant: str
    address: tuple[str, ...]
    postcode: str
    pages: int


@dataclass(frozen=True, slots=True)
class PrintSlot:
    item: PrintItem
    first_page: int
    blanks_after: int


def print_order(items: Iterable[PrintItem]) -> list[PrintItem]:
    """Sorted by postcode (the mail house's presort), then lease and document."""
    return sorted(items, key=lambda i: (i.postcode or "99999", i.lease_id, i.document_id))


def plan_print_batch(items: Iterable[PrintItem]) -> list[PrintSlot]:
    """Each document starts on an odd page (duplex: never on the back of another's).

    A document with an odd number of pages is followed by one blank page.
    """
    slots, page = [], 1
    for item in print_order(items):
        if item.pages < 1:
            raise ValidationError("pages", f"{item.document_id}: a document has pages")
        blanks = item.pages % 2
        slots.append(PrintSlot(item, page, blanks))
        page += item.pages + blanks
    return slots


def print_index_csv(slots: Sequence[PrintSlot]) -> str:
    """The batch's index for the mail house: one line a document (``;``, UTF-8)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(
        ["document_id", "lease_id", "tenant", "address", "postcode", "first_page", "pages"]
    )
    for s in slots:
        writer.writerow(
            [
                s.item.document_id,
                s.item.lease_id,
                s.item.tenant,
                " / ".join(s.item.address),
                s.item.postcode,
                s.first_page,
                s.item.pages,
            ]
        )
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class NoticeRequest:
    """One rent call whose avis d'échéance is to be rendered (a NoticesQueue item)."""

    org_id: str
    lease_id: str
    rent_call_id: str
    period: str
    due_date: date
    rent_cents: int
    charges_cents: int
    apl_cents: int
    previous_balance_cents: int

    def to_dict(self) -> dict[str, str | int]:
        return {
            "lease_id": self.lease_id,
            "rent_call_id": self.rent_call_id,
            "period": self.period,
            "due_date": self.due_date.isoformat(),
            "rent_cents": self.rent_cents,
            "charges_cents": self.charges_cents,
            "apl_cents": self.apl_cents,
            "previous_balance_cents": self.previous_balance_cents,
        }

    @classmethod
    def from_dict(cls, org_id: str, data: dict[str, object]) -> NoticeRequest:
        def cents(key: str) -> int:
            value = data.get(key, 0)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(key, "an integer number of cents")
            return value

        return cls(
            org_id=org_id,
            lease_id=str(data["lease_id"]),
            rent_call_id=str(data["rent_call_id"]),
            period=check_period(str(data["period"])),
            due_date=date.fromisoformat(str(data["due_date"])),
            rent_cents=cents("rent_cents"),
            charges_cents=cents("charges_cents"),
            apl_cents=cents("apl_cents"),
            previous_balance_cents=cents("previous_balance_cents"),
        )


DEPOSIT_LINK_DAYS = 30


def deposit_email(
    kind: DocumentKind, period: str | None, landlord: str, tenant_names: str, link: str
) -> tuple[str, str]:
    """Subject and text of "a new document is available" (never the PDF itself)."""
    what = TITLES[kind] + (f" de {period_label(period)}" if period else "")
    subject = f"{landlord} : un nouveau document est disponible"
    text = (
        f"Bonjour {tenant_names},\n\n"
        f"Un nouveau document est disponible dans votre espace locataire : {what}.\n\n"
        f"Pour le consulter, ouvrez ce lien personnel (valable {DEPOSIT_LINK_DAYS} jours) :\n"
        f"{link}\n\n"
        "Pour votre sécurité, ce message ne contient pas le document lui-même.\n"
        "Vous pouvez à tout moment choisir de recevoir à nouveau vos documents par courrier "
        "depuis votre espace locataire.\n\n"
        f"{landlord}"
    )
    return subject, text


def deposit_sms(kind: DocumentKind, landlord: str, link: str) -> str:
    return f"{landlord} : un nouveau document ({TITLES[kind].lower()}) est disponible : {link}"
