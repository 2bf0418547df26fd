"""In-memory fakes of the repositories and gateways the services declare (their
consumer-side ``Protocol``s), for fast tests of the services without the emulator.

They keep the promises of the DynamoDB adapters that the services rely on, and
``tests/contract`` runs the same assertions on both (so the two cannot drift):

* conditional writes — ``put_new`` of something that exists is a ``ConflictError``;
  a transaction recorded twice keeps its first record and status;
* optimistic locking — a booking or a ledger post planned on a stale lease version is
  refused (``ConflictError``, or ``Written.STALE`` within a group), and writes nothing;
* a transaction leaves ``new`` once — a second booking of it is refused (``False`` /
  ``Written.LEFT``); a person's decision checks the stored revision;
* all or nothing — a refused booking writes none of its lines, entries or balances;
* cursor paging — every item once, in key order, cursors bound to their listing.

One :class:`FakeTables` holds every table; the repositories are views on it, so the
booker writes the transaction, ledger, leases and entries "tables" at once, as the
real one does in one TransactWriteItems. :func:`fake_world` builds the set.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import IO, Any, TypeVar

from functions.core.accounting import AccountingEntry
from functions.core.api_keys import ApiKeyRecord
from functions.core.booking import Booking, Written, lease_deltas
from functions.core.documents import Consent, DocumentRecord, DocumentStatus
from functions.core.dunning import CaseEvent, CaseStatus, CloseReason, DunningCase
from functions.core.errors import (
    ConflictError,
    NotFoundError,
    RecipientRejectedError,
    ValidationError,
)
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine
from functions.core.matching import CollectionRecord, MatchPolicy
from functions.core.organisation import Organisation
from functions.core.records import FileRecord, Page, RecordedDecision, TransactionRecord
from functions.core.secrets import PlainSecrets, RotatingSecret
from functions.core.transactions import BankTransaction, TransactionStatus

# ---------------------------------------------------------------- paging

T = TypeVar("T")


def _encode_cursor(scope: str, key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([scope, key]).encode()).decode()


def _decode_cursor(cursor: str | None, scope: str) -> str | None:
    if not cursor:
        return None
    try:
        found_scope, key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as e:
        raise ValidationError("cursor", "not a cursor this API returned") from e
    if found_scope != scope or not isinstance(key, str):
        raise ValidationError("cursor", "belongs to another listing")
    return key


def page_of(items: Mapping[str, T], scope: str, limit: int, cursor: str | None) -> Page[T]:
    """One page of ``items`` in key order after the cursor's key (as a query would)."""
    start = _decode_cursor(cursor, scope)
    keys = sorted(k for k in items if start is None or k > start)
    chosen = keys[:limit]
    more = len(keys) > limit
    return Page([items[k] for k in chosen], _encode_cursor(scope, chosen[-1]) if more else None)


# ---------------------------------------------------------------- the tables


@dataclass
class _EntryState:
    entry: AccountingEntry
    pending: bool = True
    batch_id: str | None = None
    batch_at: datetime | None = None
    acknowledged_by: str | None = None


@dataclass
class FakeTables:
    """Every table of the template, as dicts (org_id first in each key)."""

    organisations: dict[str, Organisation] = field(default_factory=dict)
    viban_next: dict[str, int] = field(default_factory=dict)
    matching_policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    plain_secrets: dict[str, PlainSecrets] = field(default_factory=dict)
    """Secrets an organisation item still holds in clear (written before the store)."""
    leases: dict[tuple[str, str], Lease] = field(default_factory=dict)
    dunning_flags: dict[tuple[str, str], Any] = field(default_factory=dict)
    transactions: dict[tuple[str, str], TransactionRecord] = field(default_factory=dict)
    recorded_at: dict[tuple[str, str], datetime] = field(default_factory=dict)
    collections: dict[tuple[str, str], CollectionRecord] = field(default_factory=dict)
    reversed_by: dict[tuple[str, str], str] = field(default_factory=dict)
    ledger: dict[tuple[str, str], dict[str, LedgerLine]] = field(default_factory=dict)
    entries: dict[tuple[str, str], _EntryState] = field(default_factory=dict)
    files: dict[tuple[str, str], FileRecord] = field(default_factory=dict)
    api_keys: dict[str, ApiKeyRecord] = field(default_factory=dict)


# ---------------------------------------------------------------- organisations


class FakeOrganisationRepository:
    def __init__(self, tables: FakeTables) -> None:
        self.t = tables

    def put(self, org: Organisation) -> None:
        self.t.organisations[org.org_id] = org  # the vIBAN counter stays

    def put_new(self, org: Organisation) -> None:
        if org.org_id in self.t.organisations:
            raise ConflictError(f"organisation {org.org_id!r} exists already")
        self.t.organisations[org.org_id] = org

    def get(self, org_id: str) -> Organisation:
        try:
            return self.t.organisations[org_id]
        except KeyError:
            raise NotFoundError("organisation", org_id) from None

    def exists(self, org_id: str) -> bool:
        return org_id in self.t.organisations

    def list_ids(self) -> list[str]:
        return sorted(self.t.organisations)

    def reserve_viban_sequences(self, org_id: str, count: int) -> range:
        if org_id not in self.t.organisations:
            raise ConflictError(f"organisation {org_id!r} does not exist")
        end = self.t.viban_next.get(org_id, 0) + count
        self.t.viban_next[org_id] = end
        return range(end - count, end)

    def with_plain_secrets(self) -> list[PlainSecrets]:
        return [self.t.plain_secrets[k] for k in sorted(self.t.plain_secrets)]

    def store_secret_refs(self, org: Organisation) -> None:
        """Keep the secrets' references and drop any value stored in clear."""
        stored = self.get(org.org_id)
        self.t.organisations[org.org_id] = replace(
            stored,
            portal_secret_arn=org.portal_secret_arn,
            erp_webhook_secret_arn=org.erp_webhook_secret_arn,
        )
        self.t.plain_secrets.pop(org.org_id, None)

    def matching_policy(self, org_id: str) -> MatchPolicy:
        return MatchPolicy.from_dict(self.t.matching_policies.get(org_id))

    def get_with_policy(self, org_id: str) -> tuple[Organisation, MatchPolicy]:
        return self.get(org_id), self.matching_policy(org_id)

    def set_matching_policy(self, org_id: str, settings: dict[str, Any]) -> MatchPolicy:
        policy = MatchPolicy.from_dict(settings)
        if org_id not in self.t.organisations:
            raise ConflictError(f"organisation {org_id!r} does not exist")
        self.t.matching_policies[org_id] = dict(settings)
        return policy


# ---------------------------------------------------------------- leases


class FakeLeaseRepository:
    def __init__(self, tables: FakeTables) -> None:
        self.t = tables

    def get(self, org_id: str, lease_id: str) -> Lease:
        try:
            return self.t.leases[(org_id, lease_id)]
        except KeyError:
            raise NotFoundError("lease", lease_id) from None

    def find(self, org_id: str, lease_id: str) -> Lease | None:
        return self.t.leases.get((org_id, lease_id))

    def find_many(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, Lease]:
        return {
            lid: lease
            for lid in dict.fromkeys(lease_ids)
            if (lease := self.t.leases.get((org_id, lid))) is not None
        }

    def put_new(self, lease: Lease) -> None:
        key = (lease.org_id, lease.lease_id)
        if key in self.t.leases:
            raise ConflictError(f"lease {lease.lease_id!r} exists already")
        self.t.leases[key] = lease

    def put_many_new(self, leases: Sequence[Lease]) -> None:
        for lease in leases:
            self.t.leases[(lease.org_id, lease.lease_id)] = lease

    def balances(self, org_id: str, lease_ids: Sequence[str]) -> dict[str, tuple[int, int]]:
        """(balance in cents, version) of the stored leases among ``lease_ids``."""
        return {
            lid: (lease.balance_cents, lease.version)
            for lid, lease in self.find_many(org_id, lease_ids).items()
        }

    def create_many(self, leases: Sequence[Lease]) -> set[str]:
        """``put_new`` for a batch; answers the ids that exist already (not written)."""
        clashed = set()
        for lease in leases:
            try:
                self.put_new(lease)
            except ConflictError:
                clashed.add(lease.lease_id)
        return clashed

    def update_many_terms(self, changes: Sequence[tuple[Lease, Lease]]) -> None:
        """``update_terms`` (with the payer IBANs) for (lease as read, new terms) pairs."""
        missing = [
            new.lease_id for _, new in changes if self.find(new.org_id, new.lease_id) is None
        ]
        if missing:
            raise ConflictError("a lease of this call no longer exists; retry")
        for _, new in changes:
            self.update_terms(new, payer_ibans=True)

    def update_terms(self, lease: Lease, *, payer_ibans: bool = False) -> None:
        """What the ERP owns; vIBAN, RF reference, balance and version stay."""
        key = (lease.org_id, lease.lease_id)
        stored = self.t.leases.get(key)
        if stored is None:
            raise ConflictError(f"lease {lease.lease_id!r} does not exist")
        self.t.leases[key] = replace(
            lease,
            viban=stored.viban,
            rf_reference=stored.rf_reference,
            balance_cents=stored.balance_cents,
            version=stored.version,
            payer_ibans=lease.payer_ibans if payer_ibans else stored.payer_ibans,
        )

    def _of(self, org_id: str) -> dict[str, Lease]:
        return {lid: lease for (o, lid), lease in self.t.leases.items() if o == org_id}

    def page(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page[Lease]:
        return page_of(self._of(org_id), f"leases#{org_id}", limit, cursor)

    def iter_all(self, org_id: str) -> Iterator[Lease]:
        mine = self._of(org_id)
        return iter([mine[k] for k in sorted(mine)])

    def with_external_id(self, org_id: str, external_id: str) -> list[Lease]:
        return [x for x in self.iter_all(org_id) if x.external_id == external_id]

    def by_viban(self, org_id: str, iban: str) -> Lease | None:
        wanted = iban.replace(" ", "").upper()
        return next((x for x in self.iter_all(org_id) if x.viban == wanted), None)

    def by_rf(self, org_id: str, reference: str) -> Lease | None:
        return next((x for x in self.iter_all(org_id) if x.rf_reference == reference), None)

    def by_rf_any_org(self, reference: str) -> Lease | None:
        found = [x for x in self.t.leases.values() if x.rf_reference == reference]
        return found[0] if len(found) == 1 else None


# ---------------------------------------------------------------- transactions


class FakeTransactionRepository:
    def __init__(self, tables: FakeTables, clock: Any = None) -> None:
        self.t = tables
        self.clock = clock or (lambda: datetime.now(UTC))

    def add_new(self, transactions: Iterable[BankTransaction]) -> tuple[list[str], list[str]]:
        """``(written now, every id of the batch still waiting for a decision)``."""
        batch: dict[str, BankTransaction] = {}
        for tx in transactions:
            batch.setdefault(tx.transaction_id, tx)
        written = []
        for tx_id, tx in batch.items():
            key = (tx.org_id, tx_id)
            if key not in self.t.transactions:
                self.t.transactions[key] = TransactionRecord(tx)
                self.t.recorded_at[key] = self.clock()
                written.append(tx_id)
        to_match = [
            tx_id
            for tx_id, tx in batch.items()
            if self.t.transactions[(tx.org_id, tx_id)].status is TransactionStatus.NEW
        ]
        return written, to_match

    def get_many(self, org_id: str, transaction_ids: Sequence[str]) -> list[BankTransaction]:
        return [
            record.transaction
            for t in dict.fromkeys(transaction_ids)
            if (record := self.t.transactions.get((org_id, t))) is not None
        ]

    def collection(self, org_id: str, end_to_end_id: str) -> CollectionRecord | None:
        record = self.t.collections.get((org_id, end_to_end_id))
        by = self.t.reversed_by.get((org_id, end_to_end_id))
        if record is not None and by is not None:
            record = replace(record, reversed_by=by)
        return record

    def waiting_since(self, org_id: str, before: datetime) -> Iterator[str]:
        for (o, tx_id), record in sorted(self.t.transactions.items()):
            at = self.t.recorded_at.get((o, tx_id))
            if (
                o == org_id
                and record.status is TransactionStatus.NEW
                and (at is None or at < before)
            ):
                yield tx_id


class FakeTransactionRecords:
    """Transactions with their decisions (``DynamoTransactionRecords``)."""

    def __init__(self, tables: FakeTables) -> None:
        self.t = tables

    def get(self, org_id: str, transaction_id: str) -> TransactionRecord:
        try:
            return self.t.transactions[(org_id, transaction_id)]
        except KeyError:
            raise NotFoundError("transaction", transaction_id) from None

    def list(
        self, org_id: str, status: str | None = None, limit: int = 100, cursor: str | None = None
    ) -> Page[TransactionRecord]:
        mine = {
            tx_id: record
            for (o, tx_id), record in self.t.transactions.items()
            if o == org_id and (status is None or record.status.value == status)
        }
        return page_of(mine, f"transactions#{org_id}#{status}", limit, cursor)


# ---------------------------------------------------------------- ledger


class FakeLedgerRepository:
    def __init__(self, tables: FakeTables) -> None:
        self.t = tables

    def put_many_new(self, lines: Sequence[LedgerLine]) -> None:
        for line in lines:
            self.t.ledger.setdefault((line.org_id, line.lease_id), {})[line.line_id] = line

    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]:
        mine = self.t.ledger.get((org_id, lease_id), {})
        return [mine[k] for k in sorted(mine)]


def _stale_leases(
    tables: FakeTables, deltas: Iterable[str], leases: Mapping[str, Lease]
) -> list[str]:
    """Leases whose stored version is not the one the write was planned on."""
    stale = []
    for lease_id in deltas:
        planned = leases[lease_id]
        stored = tables.leases.get((planned.org_id, lease_id))
        if stored is None or stored.version != planned.version:
            stale.append(lease_id)
    return stale


def _move_balance(tables: FakeTables, org_id: str, lease_id: str, delta: int) -> Lease:
    stored = tables.leases[(org_id, lease_id)]
    moved = replace(stored, balance_cents=stored.balance_cents + delta, version=stored.version + 1)
    tables.leases[(org_id, lease_id)] = moved
    return moved


def _put_entry(tables: FakeTables, entry: AccountingEntry) -> None:
    tables.entries[(entry.org_id, entry.entry_id)] = _EntryState(entry)


class FakeLedgerWriter:
    """Posts ledger lines with balances and entries, all or nothing."""

    def __init__(self, tables: FakeTables) -> None:
        self.t = tables

    def post(
        self,
        lines: Sequence[LedgerLine],
        leases: dict[str, Lease],
        entries: Sequence[AccountingEntry] = (),
    ) -> bool:
        """False if the lines exist already; ConflictError if a lease moved meanwhile."""
        if any(
            line.line_id in self.t.ledger.get((line.org_id, line.lease_id), {}) for line in lines
        ):
            return False
        deltas: dict[str, int] = {}
        for line in lines:
            deltas[line.lease_id] = deltas.get(line.lease_id, 0) + line.amount_cents
        stale = _stale_leases(self.t, deltas, leases)
        taken = [e.entry_id for e in entries if (e.org_id, e.entry_id) in self.t.entries]
        if stale or taken:
            raise ConflictError(f"ledger lines not posted (stale {stale}, entries {taken}); retry")
        for line in lines:
            self.t.ledger.setdefault((line.org_id, line.lease_id), {})[line.line_id] = line
        for lease_id, delta in deltas.items():
            _move_balance(self.t, leases[lease_id].org_id, lease_id, delta)
        for entry in entries:
            _put_entry(self.t, entry)
        return True

    def post_batch(
        self, lines: Sequence[LedgerLine], versions: dict[str, int]
    ) -> tuple[frozenset[tuple[str, str]], frozenset[str]] | None:
        """Lines of several leases at once, each lease's version checked against
        ``versions``; None when posted, else nothing is written and the refusal names
        the lines there already (lease id, line id) and the leases that moved."""
        existing = frozenset(
            (line.lease_id, line.line_id)
            for line in lines
            if line.line_id in self.t.ledger.get((line.org_id, line.lease_id), {})
        )
        deltas: dict[tuple[str, str], int] = {}
        for line in lines:
            key = (line.org_id, line.lease_id)
            deltas[key] = deltas.get(key, 0) + line.amount_cents
        stale = frozenset(
            lease_id
            for (org_id, lease_id) in deltas
            if (stored := self.t.leases.get((org_id, lease_id))) is None
            or stored.version != versions.get(lease_id)
        )
        if existing or stale:
            return existing, stale
        for line in lines:
            self.t.ledger.setdefault((line.org_id, line.lease_id), {})[line.line_id] = line
        for (org_id, lease_id), delta in deltas.items():
            _move_balance(self.t, org_id, lease_id, delta)
        return None


# ---------------------------------------------------------------- booking


class FakeBooker:
    """One transaction's outcome written at once (``DynamoBooker``'s conditions)."""

    def __init__(self, tables: FakeTables) -> None:
        self.t = tables
        self.groups = 0
        """Calls of ``book_group`` (one TransactWriteItems each in the real one)."""

    def _left(self, booking: Booking) -> bool:
        """The transaction is not in the expected status (or revision) any more."""
        tx = booking.tx
        record = self.t.transactions.get((tx.org_id, tx.transaction_id))
        if record is None or record.status.value != booking.expected_status:
            return True
        return booking.expected_status != "new" and record.revision != booking.revision

    def _stale(self, booking: Booking, leases: Mapping[str, Lease]) -> bool:
        """A lease, ledger line, entry or collection condition fails."""
        org_id = booking.tx.org_id
        if _stale_leases(self.t, lease_deltas(booking), leases):
            return True
        if any(
            line.line_id in self.t.ledger.get((line.org_id, line.lease_id), {})
            for line in booking.lines
        ):
            return True
        if any((e.org_id, e.entry_id) in self.t.entries for e in booking.entries):
            return True
        if booking.reverses_e2e:
            by = self.t.reversed_by.get((org_id, booking.reverses_e2e))
            if by is not None and by != booking.tx.transaction_id:
                return True
        return False

    def book(self, booking: Booking, leases: Mapping[str, Lease]) -> bool:
        """Returns False if the transaction had left the expected status already."""
        if self._left(booking):
            return False
        if self._stale(booking, leases):
            raise ConflictError(f"transaction {booking.tx.transaction_id}: concurrent update")
        self._apply(booking, leases)
        return True

    def book_group(self, group: Sequence[tuple[Booking, Mapping[str, Lease]]]) -> list[Written]:
        """All of the group or none (see ``DynamoBooker.book_group``)."""
        self.groups += 1
        outcomes = []
        for booking, leases in group:
            if self._left(booking):
                outcomes.append(Written.LEFT)
            elif self._stale(booking, leases):
                outcomes.append(Written.STALE)
            else:
                outcomes.append(Written.WAITING)
        if any(o is not Written.WAITING for o in outcomes):
            return outcomes
        for booking, leases in group:
            self._apply(booking, leases)
        return [Written.BOOKED] * len(group)

    def _apply(self, booking: Booking, leases: Mapping[str, Lease]) -> None:
        tx, decision = booking.tx, booking.decision
        key = (tx.org_id, tx.transaction_id)
        record = self.t.transactions[key]
        first = booking.expected_status == "new"
        history = record.history
        if not first:
            previous = booking.previous_decision or RecordedDecision(decision, None)
            history = (
                *history,
                replace(previous, replaced_at=booking.decided_at, revision=booking.revision),
            )
        self.t.transactions[key] = TransactionRecord(
            transaction=replace(
                record.transaction, status=TransactionStatus(decision.outcome.value)
            ),
            decision=RecordedDecision(decision, booking.decided_at),
            revision=booking.revision + (0 if first else 1),
            history=history,
        )
        for line in booking.lines:
            self.t.ledger.setdefault((line.org_id, line.lease_id), {})[line.line_id] = line
        for lease_id, delta in lease_deltas(booking).items():
            moved = _move_balance(self.t, tx.org_id, lease_id, delta)
            if lease_id in booking.payer_ibans:
                moved = replace(moved, payer_ibans=booking.payer_ibans[lease_id])
                self.t.leases[(tx.org_id, lease_id)] = moved
            if lease_id in booking.dunning:
                self.t.dunning_flags[(tx.org_id, lease_id)] = booking.dunning[lease_id]
        for entry in booking.entries:
            _put_entry(self.t, entry)
        if booking.collection_e2e:
            self.t.collections[(tx.org_id, booking.collection_e2e)] = CollectionRecord(
                tx.transaction_id, decision.allocations, tx.booking_date
            )
        if booking.reverses_e2e:
            self.t.reversed_by[(tx.org_id, booking.reverses_e2e)] = tx.transaction_id


# ---------------------------------------------------------------- entries


class FakeEntryRepository:
    """The ERP outbox: pending entries in id order, claims, acknowledgements."""

    def __init__(self, tables: FakeTables, clock: Any = None) -> None:
        self.t = tables
        self.clock = clock or (lambda: datetime.now(UTC))

    def _pending(self, org_id: str) -> list[_EntryState]:
        return sorted(
            (s for (o, _), s in self.t.entries.items() if o == org_id and s.pending),
            key=lambda s: s.entry.entry_id,
        )

    def put_new(self, entry: AccountingEntry) -> None:
        if (entry.org_id, entry.entry_id) in self.t.entries:
            raise ConflictError(f"entry {entry.entry_id!r} exists already")
        _put_entry(self.t, entry)

    def list_pending(
        self, org_id: str, after: str | None = None, limit: int = 100
    ) -> tuple[list[AccountingEntry], str | None]:
        states = [s for s in self._pending(org_id) if after is None or s.entry.entry_id > after]
        entries = [s.entry for s in states[:limit]]
        more = len(states) > limit
        return entries, (entries[-1].entry_id if entries and more else None)

    def acknowledge(self, org_id: str, entry_ids: Sequence[str], by: str) -> list[str]:
        done = []
        for entry_id in entry_ids:
            state = self.t.entries.get((org_id, entry_id))
            if state is None:
                continue
            state.pending = False
            state.acknowledged_by = state.acknowledged_by or by
            done.append(entry_id)
        return done

    def between(self, org_id: str, start: date, end: date, limit: int) -> list[AccountingEntry]:
        found = sorted(
            (
                s.entry
                for (o, _), s in self.t.entries.items()
                if o == org_id and start <= s.entry.date <= end
            ),
            key=lambda e: e.entry_id,
        )
        if len(found) > limit:
            raise ValidationError("to", f"more than {limit} entries: export a shorter period")
        return found

    def claim(
        self, org_id: str, batch_id: str, limit: int, now: datetime, stale_before: datetime
    ) -> list[AccountingEntry]:
        claimed = []
        for state in self._pending(org_id):
            if len(claimed) >= limit:
                break
            if state.batch_id is None or (
                state.batch_at is not None and state.batch_at < stale_before
            ):
                state.batch_id, state.batch_at = batch_id, now
                claimed.append(state.entry)
        return claimed

    def release(self, org_id: str, entry_ids: Sequence[str], batch_id: str) -> None:
        for entry_id in entry_ids:
            state = self.t.entries.get((org_id, entry_id))
            if state is not None and state.batch_id == batch_id:
                state.batch_id = state.batch_at = None

    def acknowledged_by(self, org_id: str, entry_id: str) -> str | None:
        """Who acknowledged the entry (a test's view)."""
        return self.t.entries[(org_id, entry_id)].acknowledged_by


# ---------------------------------------------------------------- files


class FakeFileRepository:
    """One record per distinct file content received by an organisation."""

    def __init__(self, tables: FakeTables) -> None:
        self.t = tables

    def get(self, org_id: str, file_id: str) -> FileRecord | None:
        return self.t.files.get((org_id, file_id))

    def put(self, record: FileRecord) -> None:
        self.t.files[(record.org_id, record.file_id)] = record

    def page(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page[FileRecord]:
        mine = {f: r for (o, f), r in self.t.files.items() if o == org_id}
        return page_of(mine, f"files#{org_id}", limit, cursor)


class FakeListings:
    """Pages of leases and files (``DynamoListings``)."""

    def __init__(self, tables: FakeTables) -> None:
        self._leases = FakeLeaseRepository(tables)
        self._files = FakeFileRepository(tables)

    def leases(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page[Lease]:
        return self._leases.page(org_id, limit, cursor)

    def files(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page[FileRecord]:
        return self._files.page(org_id, limit, cursor)


# ---------------------------------------------------------------- API keys


class FakeApiKeyRepository:
    def __init__(self, tables: FakeTables) -> None:
        self.t = tables

    def put(self, key_hash: str, org_id: str, scopes: Sequence[str], label: str) -> None:
        if key_hash in self.t.api_keys:
            raise ConflictError("this API key exists already")
        self.t.api_keys[key_hash] = ApiKeyRecord(
            key_hash, org_id, tuple(scopes), label, datetime.now(UTC).isoformat()
        )

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        return self.t.api_keys.get(key_hash)

    def list_for_org(self, org_id: str) -> list[ApiKeyRecord]:
        return [k for k in self.t.api_keys.values() if k.org_id == org_id]

    def find_by_id(self, key_id: str) -> ApiKeyRecord:
        if len(key_id) < 8 or any(c not in "0123456789abcdef" for c in key_id):
            raise ValidationError("key_id", "at least 8 lower-case hexadecimal characters")
        found = [k for h, k in self.t.api_keys.items() if h.startswith(key_id)]
        if not found:
            raise NotFoundError("API key", key_id)
        if len(found) > 1:
            raise ValidationError("key_id", "matches several keys: give more characters")
        return found[0]

    def revoke(self, key_hash: str, at: datetime) -> bool:
        found = self.t.api_keys.get(key_hash)
        if found is None or found.revoked_at:
            return False
        self.t.api_keys[key_hash] = replace(found, revoked_at=at.isoformat())
        return True


# ---------------------------------------------------------------- documents


class FakeDocumentRepository:
    """Document manifests (put once), their access log, and e-delivery consents."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], DocumentRecord] = {}
        self.access_log: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.consent_history: dict[tuple[str, str], list[Consent]] = {}
        self.invitations: dict[tuple[str, str, str], dict[str, Any]] = {}

    def put_new(self, record: DocumentRecord) -> bool:
        """False when the document already exists (a retried rent call)."""
        key = (record.org_id, record.document_id)
        if key in self.records:
            return False
        self.records[key] = record
        return True

    def get(self, org_id: str, doc_id: str) -> DocumentRecord | None:
        return self.records.get((org_id, doc_id))

    def for_lease(self, org_id: str, lease_id: str) -> list[DocumentRecord]:
        """Newest first."""
        mine = [r for (o, _), r in self.records.items() if o == org_id and r.lease_id == lease_id]
        return sorted(mine, key=lambda r: r.created_at, reverse=True)

    def with_status(self, org_id: str, status: DocumentStatus) -> list[DocumentRecord]:
        return [r for (o, _), r in self.records.items() if o == org_id and r.status is status]

    def set_status(self, org_id: str, doc_id: str, status: DocumentStatus) -> None:
        self.records[(org_id, doc_id)] = replace(self.records[(org_id, doc_id)], status=status)

    def log_access(self, org_id: str, doc_id: str, who: str, at: datetime) -> None:
        self.access_log.setdefault((org_id, doc_id), []).append({"who": who, "at": at.isoformat()})

    def accesses(self, org_id: str, doc_id: str) -> list[dict[str, str]]:
        return list(self.access_log.get((org_id, doc_id), []))

    def consent(self, org_id: str, lease_id: str) -> tuple[Consent | None, list[Consent]]:
        history = self.consent_history.get((org_id, lease_id), [])
        return (history[-1] if history else None), list(history)

    def put_consent(self, org_id: str, lease_id: str, consent: Consent) -> None:
        self.consent_history.setdefault((org_id, lease_id), []).append(consent)

    def consents(self, org_id: str) -> dict[str, Consent]:
        return {lid: h[-1] for (o, lid), h in self.consent_history.items() if o == org_id and h}

    def mark_invited(
        self, org_id: str, campaign_id: str, lease_id: str, channel: str, at: datetime
    ) -> bool:
        """False when this campaign already invited this lease's tenants."""
        key = (org_id, campaign_id, lease_id)
        if key in self.invitations:
            return False
        self.invitations[key] = {"channel": channel, "invited_at": at}
        return True

    def unmark_invited(self, org_id: str, campaign_id: str, lease_id: str) -> None:
        found = self.invitations.get((org_id, campaign_id, lease_id))
        if found is not None and "accepted_at" not in found:
            del self.invitations[(org_id, campaign_id, lease_id)]

    def mark_accepted(self, org_id: str, campaign_id: str, lease_id: str, at: datetime) -> bool:
        """False when the invitation does not exist or its link was already used."""
        found = self.invitations.get((org_id, campaign_id, lease_id))
        if found is None or "accepted_at" in found:
            return False
        found["accepted_at"] = at
        return True


@dataclass
class FakePdfStore:
    """The documents bucket: objects by key and the download links given."""

    objects: dict[str, bytes] = field(default_factory=dict)

    def put(self, key: str, body: bytes) -> None:
        self.objects[key] = body

    def presigned_get(self, key: str, expires_in: int, filename: str) -> str:
        return f"https://documents.example/{key}?expires={expires_in}&filename={filename}"

    def get(self, key: str) -> bytes:
        try:
            return self.objects[key]
        except KeyError:
            raise NotFoundError("document object", key) from None


@dataclass
class FakePrintProvider:
    """The mail house: batches deposited, by organisation and run."""

    deposits: list[tuple[str, str, bytes, str]] = field(default_factory=list)

    def deposit(self, org_id: str, run_id: str, pdf: bytes, index_csv: str) -> str:
        self.deposits.append((org_id, run_id, pdf, index_csv))
        return f"print://{org_id}/{run_id}"


# ---------------------------------------------------------------- dunning cases


@dataclass(frozen=True, slots=True)
class FakeOpenCaseRef:
    lease_id: str
    case_id: str
    started: bool
    held: bool = False


@dataclass
class _Lock:
    case_id: str
    execution_arn: str | None = None
    held: bool = False


class FakeDunningCaseRepository:
    """Cases and, per lease, the lock of its open case (a hold once closed unpaid)."""

    def __init__(self) -> None:
        self.cases: dict[tuple[str, str], DunningCase] = {}
        self.locks: dict[tuple[str, str], _Lock] = {}

    def open(self, case: DunningCase) -> tuple[DunningCase, bool]:
        """Store a new open case; if the lease has one already, that one and False."""
        lock = self.locks.get((case.org_id, case.lease_id))
        if lock is not None:
            return self.cases[(case.org_id, lock.case_id)], False
        existing = self.cases.get((case.org_id, case.case_id))
        if existing is not None:
            return existing, False
        self.locks[(case.org_id, case.lease_id)] = _Lock(case.case_id)
        self.cases[(case.org_id, case.case_id)] = case
        return case, True

    def find(self, org_id: str, case_id: str) -> DunningCase | None:
        return self.cases.get((org_id, case_id))

    def get(self, org_id: str, case_id: str) -> DunningCase:
        found = self.find(org_id, case_id)
        if found is None:
            raise NotFoundError("dunning case", case_id)
        return found

    def open_cases(self, org_id: str) -> dict[str, FakeOpenCaseRef]:
        return {
            lease_id: FakeOpenCaseRef(lease_id, lock.case_id, bool(lock.execution_arn), lock.held)
            for (o, lease_id), lock in self.locks.items()
            if o == org_id
        }

    def set_execution(self, case: DunningCase, execution_arn: str) -> None:
        key = (case.org_id, case.case_id)
        if key not in self.cases:
            raise NotFoundError("dunning case", case.case_id)
        self.cases[key] = replace(self.cases[key], execution_arn=execution_arn)
        lock = self.locks.get((case.org_id, case.lease_id))
        if lock is not None and lock.case_id == case.case_id:
            lock.execution_arn = execution_arn

    def record(self, org_id: str, case_id: str, event: CaseEvent) -> None:
        case = self.get(org_id, case_id)
        self.cases[(org_id, case_id)] = replace(case, history=(*case.history, event))

    def close(self, case: DunningCase, reason: CloseReason, event: CaseEvent) -> bool:
        stored = self.get(case.org_id, case.case_id)
        if not stored.is_open:
            return False
        self.cases[(case.org_id, case.case_id)] = replace(
            stored,
            status=CaseStatus.CLOSED,
            closed_at=event.at,
            close_reason=reason,
            history=(*stored.history, event),
        )
        lock_key = (case.org_id, case.lease_id)
        lock = self.locks.get(lock_key)
        if lock is not None and lock.case_id == case.case_id:
            if reason is CloseReason.PAID:
                del self.locks[lock_key]
            else:
                lock.held = True
        return True

    def release(self, org_id: str, lease_id: str, case_id: str) -> bool:
        lock = self.locks.get((org_id, lease_id))
        if lock is None or not lock.held or lock.case_id != case_id:
            return False
        del self.locks[(org_id, lease_id)]
        return True


@dataclass(frozen=True, slots=True)
class FakeStarted:
    execution_arn: str
    started: bool


@dataclass
class FakeWorkflows:
    """Step Functions: one execution per name (a second start of it starts nothing)."""

    executions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def start(self, name: str, payload: dict[str, Any]) -> FakeStarted:
        arn = f"arn:aws:states:eu-west-3:000000000000:execution:dunning:{name}"
        if name in self.executions:
            return FakeStarted(arn, False)
        self.executions[name] = dict(payload)
        return FakeStarted(arn, True)


@dataclass
class FakeMailer:
    """Sent e-mails; an address in ``rejecting`` is refused as SES refuses one."""

    sent: list[tuple[str, Any]] = field(default_factory=list)
    rejecting: set[str] = field(default_factory=set)

    def send(self, to: str, email: Any) -> str:
        if to in self.rejecting:
            raise RecipientRejectedError(f"{to}: address rejected")
        self.sent.append((to, email))
        return f"msg-{len(self.sent)}"


@dataclass
class FakeSmsSender:
    sent: list[tuple[str, str]] = field(default_factory=list)
    rejecting: set[str] = field(default_factory=set)

    def send(self, phone: str, text: str) -> str:
        if phone in self.rejecting:
            raise RecipientRejectedError("number rejected")
        self.sent.append((phone, text))
        return f"sms-{len(self.sent)}"


@dataclass
class FakeDocumentStore:
    """PDFs put in the tenant's safe, or for print."""

    pdfs: dict[str, tuple[bytes, bool]] = field(default_factory=dict)

    def put_pdf(self, key: str, body: bytes, *, for_print: bool) -> None:
        self.pdfs[key] = (body, for_print)


# ---------------------------------------------------------------- gateways


@dataclass
class FakeSecretStore:
    """Secrets Manager: values by reference (an ARN-like name)."""

    values: dict[str, RotatingSecret] = field(default_factory=dict)

    def create(self, name: str, value: RotatingSecret) -> str:
        ref = f"arn:aws:secretsmanager:eu-west-3:000000000000:secret:{name}"
        self.values[ref] = value
        return ref

    def get(self, ref: str) -> RotatingSecret:
        try:
            return self.values[ref]
        except KeyError:
            raise NotFoundError("secret", ref) from None

    def put(self, ref: str, value: RotatingSecret) -> None:
        if ref not in self.values:
            raise NotFoundError("secret", ref)
        self.values[ref] = value


@dataclass
class FakeMatchQueue:
    """The match queue: the messages sent, in order."""

    sent: list[tuple[str, list[str]]] = field(default_factory=list)

    def send(self, org_id: str, transaction_ids: Sequence[str]) -> None:
        self.sent.append((org_id, list(transaction_ids)))

    def ids(self) -> list[str]:
        return [t for _, ids in self.sent for t in ids]


@dataclass
class FakeIngestQueue:
    redelivered: list[str] = field(default_factory=list)

    def redeliver(self, key: str) -> None:
        self.redelivered.append(key)


@dataclass
class FakeFileStore:
    """The statement buckets: inbox objects, and where ingest moved each one."""

    inbox: dict[str, bytes] = field(default_factory=dict)
    arrived: dict[str, datetime] = field(default_factory=dict)
    archive: dict[str, bytes] = field(default_factory=dict)
    quarantine: dict[str, tuple[bytes, dict[str, Any]]] = field(default_factory=dict)

    def put_inbox(self, key: str, body: bytes, at: datetime | None = None) -> None:
        self.inbox[key] = body
        self.arrived[key] = at or datetime.now(UTC)

    def open(self, bucket: str, key: str) -> IO[bytes] | None:
        body = self.inbox.get(key)
        return io.BytesIO(body) if body is not None else None

    def archive_file(self, bucket: str, key: str) -> None:
        self.archive[key] = self.inbox.pop(key)
        self.arrived.pop(key, None)

    def quarantine_file(self, bucket: str, key: str, error: dict[str, Any]) -> None:
        self.quarantine[key] = (self.inbox.pop(key), dict(error))
        self.arrived.pop(key, None)

    def left_since(self, before: datetime, prefix: str = "") -> Iterator[str]:
        """The ``Inbox`` port of the sweeper."""
        return iter(
            sorted(k for k, at in self.arrived.items() if k.startswith(prefix) and at < before)
        )


@dataclass
class FakeReplayStore:
    """Bodies of large idempotent answers (``S3ReplayStore``)."""

    bodies: dict[str, str] = field(default_factory=dict)

    def put(self, org_id: str, key: str, body: str) -> str:
        ref = f"{org_id}/{key}"
        self.bodies[ref] = body
        return ref

    def get(self, ref: str) -> str | None:
        return self.bodies.get(ref)


@dataclass
class FakeBatchStore:
    """ERP push batches (``S3BatchStore``)."""

    batches: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def put(self, org_id: str, batch_id: str, record: dict[str, Any]) -> None:
        self.batches[(org_id, batch_id)] = json.loads(json.dumps(record))

    def get(self, org_id: str, batch_id: str) -> dict[str, Any]:
        try:
            return json.loads(json.dumps(self.batches[(org_id, batch_id)]))  # a copy
        except KeyError:
            raise NotFoundError("batch", batch_id) from None


# ---------------------------------------------------------------- the set


@dataclass
class FakeWorld:
    """Every fake over one set of tables, wired as the composition root wires the real ones."""

    tables: FakeTables
    organisations: FakeOrganisationRepository
    leases: FakeLeaseRepository
    transactions: FakeTransactionRepository
    records: FakeTransactionRecords
    ledger: FakeLedgerRepository
    ledger_writer: FakeLedgerWriter
    booker: FakeBooker
    entries: FakeEntryRepository
    files: FakeFileRepository
    listings: FakeListings
    api_keys: FakeApiKeyRepository
    dunning_cases: FakeDunningCaseRepository
    match_queue: FakeMatchQueue
    ingest_queue: FakeIngestQueue
    file_store: FakeFileStore
    batches: FakeBatchStore


def fake_world(clock: Any = None) -> FakeWorld:
    t = FakeTables()
    return FakeWorld(
        tables=t,
        organisations=FakeOrganisationRepository(t),
        leases=FakeLeaseRepository(t),
        transactions=FakeTransactionRepository(t, clock),
        records=FakeTransactionRecords(t),
        ledger=FakeLedgerRepository(t),
        ledger_writer=FakeLedgerWriter(t),
        booker=FakeBooker(t),
        entries=FakeEntryRepository(t, clock),
        files=FakeFileRepository(t),
        listings=FakeListings(t),
        api_keys=FakeApiKeyRepository(t),
        dunning_cases=FakeDunningCaseRepository(),
        match_queue=FakeMatchQueue(),
        ingest_queue=FakeIngestQueue(),
        file_store=FakeFileStore(),
        batches=FakeBatchStore(),
    )
