"""One contract, two implementations: what the services rely on from the stores.

Run on the fakes by ``make test-fast``; on the emulator too by ``make test``
(``-m integration``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from functions.core.accounting import SourceType, balance_operation_entry
from functions.core.allocation import Allocation
from functions.core.booking import Written, plan_booking
from functions.core.documents import (
    Consent,
    ConsentChannel,
    ConsentSource,
    Delivery,
    DocumentKind,
    DocumentRecord,
    DocumentStatus,
    document_id,
)
from functions.core.dunning import CaseEvent, CloseReason, open_case
from functions.core.errors import ConflictError, NotFoundError, ValidationError
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine, LineKind
from functions.core.matching import MatchDecision, Method, Outcome
from functions.core.organisation import Organisation
from functions.core.records import FileRecord
from functions.core.transactions import BankTransaction, TransactionStatus
from tests.contract.conftest import Stores
from tests.unit.matching.helpers import lease, tx

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _lease(org: Organisation, n: int, **extra: object) -> Lease:
    return lease(n, org_id=org.org_id, **extra)  # type: ignore[arg-type]


def _tx(org: Organisation, tx_id: str, amount: int = 56_000) -> BankTransaction:
    return tx(amount, "ZOE LEFEVRE", org_id=org.org_id, transaction_id=tx_id)


# ---------------------------------------------------------------- organisations


def test_organisation_round_trip_and_put_new_twice_conflicts(
    stores: Stores, org: Organisation
) -> None:
    assert stores.organisations.get(org.org_id) == org
    assert stores.organisations.exists(org.org_id)
    assert org.org_id in stores.organisations.list_ids()
    with pytest.raises(ConflictError):
        stores.organisations.put_new(org)
    with pytest.raises(NotFoundError):
        stores.organisations.get("org-nobody")
    assert not stores.organisations.exists("org-nobody")


def test_viban_sequences_never_repeat_even_after_a_put(stores: Stores, org: Organisation) -> None:
    first = stores.organisations.reserve_viban_sequences(org.org_id, 3)
    stores.organisations.put(replace(org, name="Renamed"))
    second = stores.organisations.reserve_viban_sequences(org.org_id, 2)
    assert len(first) == 3 and len(second) == 2
    assert second.start == first.stop
    assert stores.organisations.get(org.org_id).name == "Renamed"


def test_matching_policy_defaults_then_stored(stores: Stores, org: Organisation) -> None:
    default = stores.organisations.matching_policy(org.org_id)
    changed = stores.organisations.set_matching_policy(
        org.org_id, {"learn_payer_ibans": not default.learn_payer_ibans}
    )
    assert stores.organisations.matching_policy(org.org_id) == changed
    assert changed.learn_payer_ibans is not default.learn_payer_ibans
    assert stores.organisations.get_with_policy(org.org_id) == (
        stores.organisations.get(org.org_id),
        changed,
    )
    with pytest.raises(NotFoundError):
        stores.organisations.get_with_policy("org-absent")


# ---------------------------------------------------------------- leases


def test_lease_round_trip_and_put_new_twice_conflicts(stores: Stores, org: Organisation) -> None:
    one = _lease(org, 1, payer_ibans=("FR7630006000011234567890189",), household_id="H1")
    stores.leases.put_new(one)
    assert stores.leases.get(org.org_id, one.lease_id) == one
    assert stores.leases.find(org.org_id, "nope") is None
    with pytest.raises(NotFoundError):
        stores.leases.get(org.org_id, "nope")
    with pytest.raises(ConflictError):
        stores.leases.put_new(replace(one, rent_cents=1))
    assert stores.leases.get(org.org_id, one.lease_id).rent_cents == one.rent_cents


def test_update_terms_keeps_viban_balance_and_version(stores: Stores, org: Organisation) -> None:
    one = _lease(org, 1)
    stores.leases.put_new(one)
    stores.leases.update_terms(
        replace(one, rent_cents=61_000, viban="X", balance_cents=0, version=9)
    )
    stored = stores.leases.get(org.org_id, one.lease_id)
    assert stored.rent_cents == 61_000
    assert (stored.viban, stored.balance_cents, stored.version) == (
        one.viban,
        one.balance_cents,
        one.version,
    )


def test_create_many_answers_the_leases_there_already(stores: Stores, org: Organisation) -> None:
    stores.leases.put_new(_lease(org, 1))
    clashed = stores.leases.create_many([_lease(org, 1, rent_cents=1), _lease(org, 2)])
    assert clashed == {"TIL-00001"}
    assert stores.leases.get(org.org_id, "TIL-00001").rent_cents == 50_000
    assert stores.leases.balances(org.org_id, ["TIL-00002", "absent"]) == {"TIL-00002": (56_000, 0)}


def test_strong_identifiers_find_leases_of_their_own_organisation_only(
    stores: Stores, org: Organisation
) -> None:
    one = _lease(org, 1)
    stores.leases.put_new(one)
    assert stores.leases.by_viban(org.org_id, one.viban) == one
    assert stores.leases.by_rf(org.org_id, one.rf_reference) == one
    assert stores.leases.by_viban("org-other", one.viban) is None
    assert stores.leases.find_many(org.org_id, [one.lease_id, "absent"]) == {one.lease_id: one}


def test_lease_pages_visit_every_lease_once(stores: Stores, org: Organisation) -> None:
    stores.leases.put_many_new([_lease(org, n) for n in range(1, 8)])
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = stores.listings.leases(org.org_id, limit=3, cursor=cursor)
        seen += [x.lease_id for x in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(seen) == [f"TIL-{n:05d}" for n in range(1, 8)]
    assert len(seen) == len(set(seen))
    assert [x.lease_id for x in stores.leases.iter_all(org.org_id)] == sorted(seen)


def test_a_cursor_of_another_listing_is_refused(stores: Stores, org: Organisation) -> None:
    stores.leases.put_many_new([_lease(org, n) for n in range(1, 4)])
    cursor = stores.listings.leases(org.org_id, limit=1).cursor
    assert cursor is not None
    with pytest.raises(ValidationError):
        stores.listings.leases("org-other", limit=1, cursor=cursor)
    with pytest.raises(ValidationError):
        stores.listings.leases(org.org_id, limit=1, cursor="garbled!")


# ---------------------------------------------------------------- transactions


def test_a_transaction_recorded_twice_keeps_its_first_record(
    stores: Stores, org: Organisation
) -> None:
    assert stores.transactions.add_new([_tx(org, "tx_1"), _tx(org, "tx_2")]) == (
        ["tx_1", "tx_2"],
        ["tx_1", "tx_2"],
    )
    written, waiting = stores.transactions.add_new([_tx(org, "tx_1", 1), _tx(org, "tx_3")])
    assert (written, waiting) == (["tx_3"], ["tx_1", "tx_3"])
    got = stores.transactions.get_many(org.org_id, ["tx_3", "tx_1", "tx_absent"])
    assert [(t.transaction_id, t.amount_cents) for t in got] == [("tx_3", 56_000), ("tx_1", 56_000)]
    with pytest.raises(NotFoundError):
        stores.records.get(org.org_id, "tx_absent")


def test_transaction_pages_by_status_visit_each_once(stores: Stores, org: Organisation) -> None:
    ids = [f"tx_{n:02d}" for n in range(7)]
    stores.transactions.add_new([_tx(org, i) for i in ids])
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = stores.records.list(org.org_id, "new", limit=2, cursor=cursor)
        seen += [r.transaction_id for r in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert sorted(seen) == ids and len(seen) == len(ids)
    assert stores.records.list(org.org_id, "allocated").items == []


def test_waiting_since_lists_what_stays_new_only(stores: Stores, org: Organisation) -> None:
    stores.transactions.add_new([_tx(org, "tx_1"), _tx(org, "tx_2")])
    stores.leases.put_new(_lease(org, 1))
    booking, leases = _booking(stores, org, "tx_1", "TIL-00001")
    stores.booker.book(booking, leases)
    later = datetime.now(UTC) + timedelta(minutes=1)

    assert list(stores.waiting.waiting_since(org.org_id, later)) == ["tx_2"]
    assert list(stores.waiting.waiting_since(org.org_id, later - timedelta(hours=1))) == []


def test_a_decided_transaction_recorded_again_is_neither_written_nor_sent_to_matching(
    stores: Stores, org: Organisation
) -> None:
    stores.leases.put_new(_lease(org, 1))
    stores.transactions.add_new([_tx(org, "tx_1"), _tx(org, "tx_2")])
    booking, leases = _booking(stores, org, "tx_1", "TIL-00001")
    stores.booker.book(booking, leases)

    written, waiting = stores.transactions.add_new(
        [_tx(org, "tx_1"), _tx(org, "tx_2"), _tx(org, "tx_3")]
    )

    assert (written, waiting) == (["tx_3"], ["tx_2", "tx_3"])
    assert stores.records.get(org.org_id, "tx_1").status.value == "allocated"


# ---------------------------------------------------------------- booking


def _booking(stores: Stores, org: Organisation, tx_id: str, lease_id: str, amount: int = 56_000):  # type: ignore[no-untyped-def]
    payment = stores.transactions.get_many(org.org_id, [tx_id])[0]
    decision = MatchDecision(
        Outcome.ALLOCATED, (Allocation(lease_id, amount),), Method.VIBAN, 1.0, ("vIBAN",)
    )
    leases = {lease_id: stores.leases.get(org.org_id, lease_id)}
    return plan_booking(org, payment, decision, leases, NOW), leases


def test_a_booking_writes_everything_once(stores: Stores, org: Organisation) -> None:
    stores.leases.put_new(_lease(org, 1))
    stores.transactions.add_new([_tx(org, "tx_1")])
    booking, leases = _booking(stores, org, "tx_1", "TIL-00001")

    assert stores.booker.book(booking, leases) is True
    booked = stores.leases.get(org.org_id, "TIL-00001")
    assert (booked.balance_cents, booked.version) == (0, 1)
    assert [line.amount_cents for line in stores.ledger.lines(org.org_id, "TIL-00001")] == [-56_000]
    record = stores.records.get(org.org_id, "tx_1")
    assert record.status is TransactionStatus.ALLOCATED
    assert record.decision is not None
    assert record.decision.decision.allocations == (Allocation("TIL-00001", 56_000),)
    assert [e.transaction_id for e in stores.entries.list_pending(org.org_id)[0]] == ["tx_1"] * len(
        booking.entries
    )
    _, waiting = stores.transactions.add_new([_tx(org, "tx_1")])
    assert waiting == []  # decided: never handed to matching again

    again, _ = _booking(stores, org, "tx_1", "TIL-00001")
    assert (
        stores.booker.book(
            replace(again, tx=booking.tx), stores.leases.find_many(org.org_id, ["TIL-00001"])
        )
        is False
    )
    assert stores.leases.get(org.org_id, "TIL-00001").balance_cents == 0


def test_a_booking_on_a_stale_lease_version_writes_nothing(
    stores: Stores, org: Organisation
) -> None:
    stores.leases.put_new(_lease(org, 1))
    stores.transactions.add_new([_tx(org, "tx_1")])
    booking, leases = _booking(stores, org, "tx_1", "TIL-00001")
    stale = {"TIL-00001": replace(leases["TIL-00001"], version=5)}

    with pytest.raises(ConflictError):
        stores.booker.book(booking, stale)
    assert stores.records.get(org.org_id, "tx_1").status is TransactionStatus.NEW
    assert stores.ledger.lines(org.org_id, "TIL-00001") == []
    assert stores.leases.get(org.org_id, "TIL-00001").version == 0


def test_a_group_with_a_stale_booking_writes_none_then_the_rest_alone(
    stores: Stores, org: Organisation
) -> None:
    stores.leases.put_many_new([_lease(org, 1), _lease(org, 2)])
    stores.transactions.add_new([_tx(org, "tx_1"), _tx(org, "tx_2")])
    first = _booking(stores, org, "tx_1", "TIL-00001")
    booking, leases = _booking(stores, org, "tx_2", "TIL-00002")
    second = (booking, {"TIL-00002": replace(leases["TIL-00002"], version=4)})

    assert stores.booker.book_group([first, second]) == [Written.WAITING, Written.STALE]
    assert stores.leases.get(org.org_id, "TIL-00001").version == 0
    assert stores.booker.book_group([first]) == [Written.BOOKED]
    assert stores.booker.book_group([first]) == [Written.LEFT]
    assert stores.leases.get(org.org_id, "TIL-00001").balance_cents == 0


# ---------------------------------------------------------------- ledger and entries


def _operation(org: Organisation, lease_id: str, ref: str, amount: int, at: datetime):  # type: ignore[no-untyped-def]
    line = LedgerLine(
        org.org_id, lease_id, f"2026-11-01#adjustment#{ref}", LineKind.ADJUSTMENT,
        date(2026, 11, 1), amount, f"Avoir {ref}", ref, at,
    )  # fmt: skip
    entry = balance_operation_entry(
        org.chart, org.org_id, lease_id, SourceType.ADJUSTMENT, ref, date(2026, 11, 1),
        amount, line.label, at,
    )  # fmt: skip
    return line, entry


def test_posted_lines_move_the_balance_once_and_check_the_version(
    stores: Stores, org: Organisation
) -> None:
    one = _lease(org, 1)
    stores.leases.put_new(one)
    line, entry = _operation(org, one.lease_id, "AV-1", -1_000, NOW)

    assert stores.ledger_writer.post([line], {one.lease_id: one}, [entry]) is True
    moved = stores.leases.get(org.org_id, one.lease_id)
    assert (moved.balance_cents, moved.version) == (one.balance_cents - 1_000, 1)
    assert stores.ledger.lines(org.org_id, one.lease_id) == [line]
    assert stores.ledger_writer.post([line], {one.lease_id: moved}, [entry]) is False
    other, other_entry = _operation(org, one.lease_id, "AV-2", -500, NOW)
    with pytest.raises(ConflictError):
        stores.ledger_writer.post([other], {one.lease_id: one}, [other_entry])  # version 0: stale
    assert stores.leases.get(org.org_id, one.lease_id).balance_cents == moved.balance_cents


def test_a_batch_of_lines_is_refused_whole_naming_what_is_there_and_what_moved(
    stores: Stores, org: Organisation
) -> None:
    stores.leases.put_many_new([_lease(org, 1), _lease(org, 2)])
    one, _ = _operation(org, "TIL-00001", "RC-1", 100, NOW)
    two, _ = _operation(org, "TIL-00002", "RC-2", 200, NOW)
    assert stores.ledger_writer.post_batch([one], {"TIL-00001": 0}) is None

    refusal = stores.ledger_writer.post_batch([one, two], {"TIL-00001": 1, "TIL-00002": 3})

    assert refusal == (frozenset({("TIL-00001", one.line_id)}), frozenset({"TIL-00002"}))
    assert stores.ledger.lines(org.org_id, "TIL-00002") == []
    assert stores.leases.balances(org.org_id, ["TIL-00001", "TIL-00002"]) == {
        "TIL-00001": (56_100, 1),
        "TIL-00002": (56_000, 0),
    }


def _pending_entries(stores: Stores, org: Organisation, count: int) -> list[str]:
    one = _lease(org, 1)
    stores.leases.put_new(one)
    ids = []
    for n in range(count):
        current = stores.leases.get(org.org_id, one.lease_id)
        line, entry = _operation(org, one.lease_id, f"AV-{n}", -100, NOW + timedelta(seconds=n))
        assert stores.ledger_writer.post([line], {one.lease_id: current}, [entry])
        ids.append(entry.entry_id)
    return ids


def test_pending_entries_page_in_id_order_and_leave_once_acknowledged(
    stores: Stores, org: Organisation
) -> None:
    ids = _pending_entries(stores, org, 5)
    seen: list[str] = []
    after = None
    for _ in range(10):
        entries, after = stores.entries.list_pending(org.org_id, after, 2)
        seen += [e.entry_id for e in entries]
        if after is None:
            break
    assert seen == sorted(ids)

    assert stores.entries.acknowledge(org.org_id, [ids[0], "unknown"], by="erp") == [ids[0]]
    assert stores.entries.acknowledge(org.org_id, [ids[0]], by="erp") == [ids[0]]  # idempotent
    left, _ = stores.entries.list_pending(org.org_id, None, 100)
    assert [e.entry_id for e in left] == sorted(ids[1:])


def test_a_claimed_entry_is_not_claimed_again_until_released_or_stale(
    stores: Stores, org: Organisation
) -> None:
    ids = _pending_entries(stores, org, 3)
    first = stores.entries.claim(org.org_id, "b1", 2, NOW, NOW - timedelta(hours=1))
    assert [e.entry_id for e in first] == sorted(ids)[:2]
    second = stores.entries.claim(org.org_id, "b2", 10, NOW, NOW - timedelta(hours=1))
    assert [e.entry_id for e in second] == sorted(ids)[2:]
    assert stores.entries.claim(org.org_id, "b3", 10, NOW, NOW - timedelta(hours=1)) == []

    stores.entries.release(org.org_id, [e.entry_id for e in first], "b-not-mine")
    assert stores.entries.claim(org.org_id, "b3", 10, NOW, NOW - timedelta(hours=1)) == []
    stores.entries.release(org.org_id, [e.entry_id for e in first], "b1")
    again = stores.entries.claim(org.org_id, "b3", 10, NOW, NOW - timedelta(hours=1))
    assert [e.entry_id for e in again] == sorted(ids)[:2]
    later = NOW + timedelta(hours=2)
    taken_over = stores.entries.claim(org.org_id, "b4", 10, later, later - timedelta(hours=1))
    assert len(taken_over) == 3


# ---------------------------------------------------------------- files and API keys


def test_file_records_round_trip_and_page(stores: Stores, org: Organisation) -> None:
    records = [
        FileRecord(
            org.org_id,
            f"{n:064x}",
            f"{org.org_id}/f{n}.xml",
            f"f{n}.xml",
            10 + n,
            NOW,
            status="ingested",
            format="camt.054",
            transactions=n,
            duplicates=n or None,
        )
        for n in range(5)
    ]
    for record in records:
        stores.files.put(record)
    assert stores.files.get(org.org_id, records[2].file_id) == records[2]
    assert stores.files.get(org.org_id, "0" * 64 + "f") is None
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        page = stores.listings.files(org.org_id, limit=2, cursor=cursor)
        seen += [r.file_id for r in page.items]
        cursor = page.cursor
        if cursor is None:
            break
    assert seen == [r.file_id for r in records]


def test_api_keys_are_stored_once_and_revoked_once(stores: Stores, org: Organisation) -> None:
    key_hash = "ab12cd34" + "0" * 56
    stores.api_keys.put(key_hash, org.org_id, ["leases:write"], "ERP")
    with pytest.raises(ConflictError):
        stores.api_keys.put(key_hash, org.org_id, ["leases:write"], "ERP")
    stored = stores.api_keys.get(key_hash)
    assert (stored.org_id, tuple(stored.scopes), stored.revoked_at) == (
        org.org_id,
        ("leases:write",),
        None,
    )
    assert stores.api_keys.find_by_id(key_hash[:12]).key_hash == key_hash
    assert stores.api_keys.revoke(key_hash, NOW) is True
    assert stores.api_keys.revoke(key_hash, NOW) is False
    assert stores.api_keys.get(key_hash).revoked_at is not None


# ---------------------------------------------------------------- dunning cases


def test_a_lease_has_one_open_case_and_a_hold_once_closed_unpaid(
    stores: Stores, org: Organisation
) -> None:
    case = open_case(org.org_id, "TIL-00001", 56_000, date(2026, 10, 5), NOW)
    assert stores.dunning_cases.open(case) == (case, True)
    later = open_case(org.org_id, "TIL-00001", 60_000, None, NOW + timedelta(days=1))
    same, created = stores.dunning_cases.open(later)
    assert (same.case_id, created) == (case.case_id, False)
    ref = stores.dunning_cases.open_cases(org.org_id)["TIL-00001"]
    assert (ref.case_id, ref.started, ref.held) == (case.case_id, False, False)

    stores.dunning_cases.set_execution(case, "arn:aws:states:eu-west-3:0:execution:d:x")
    stores.dunning_cases.record(
        org.org_id, case.case_id, CaseEvent("reminder_1", NOW, {"sms_sent": 1})
    )
    stored = stores.dunning_cases.get(org.org_id, case.case_id)
    assert stored.has_done("reminder_1") and stored.execution_arn is not None
    assert stores.dunning_cases.open_cases(org.org_id)["TIL-00001"].started

    closing = CaseEvent("closed", NOW, {"reason": "referred"})
    assert stores.dunning_cases.close(stored, CloseReason.REFERRED, closing) is True
    assert stores.dunning_cases.close(stored, CloseReason.REFERRED, closing) is False
    assert stores.dunning_cases.open_cases(org.org_id)["TIL-00001"].held
    assert stores.dunning_cases.release(org.org_id, "TIL-00001", "other-case") is False
    assert stores.dunning_cases.release(org.org_id, "TIL-00001", case.case_id) is True
    assert stores.dunning_cases.open_cases(org.org_id) == {}


def test_a_case_closed_paid_frees_its_lease(stores: Stores, org: Organisation) -> None:
    case = open_case(org.org_id, "TIL-00002", 56_000, None, NOW)
    stores.dunning_cases.open(case)
    assert stores.dunning_cases.close(case, CloseReason.PAID, CaseEvent("closed", NOW)) is True
    assert stores.dunning_cases.get(org.org_id, case.case_id).close_reason is CloseReason.PAID
    assert stores.dunning_cases.open_cases(org.org_id) == {}
    with pytest.raises(NotFoundError):
        stores.dunning_cases.record(org.org_id, "no-such-case", CaseEvent("x", NOW))


# ---------------------------------------------------------------- documents


def _document(org: Organisation, lease_id: str, key: str, at: datetime) -> DocumentRecord:
    doc_id = document_id(org.org_id, lease_id, DocumentKind.AVIS_ECHEANCE, key)
    return DocumentRecord(
        org.org_id, lease_id, doc_id, DocumentKind.AVIS_ECHEANCE, "2026-12", "ab" * 32, 1234,
        at, Delivery.PRINT, DocumentStatus.QUEUED_FOR_PRINT, "45000",
    )  # fmt: skip


def test_a_document_manifest_is_stored_once(stores: Stores, org: Organisation) -> None:
    first = _document(org, "TIL-00001", "RC-1", NOW)
    newer = _document(org, "TIL-00001", "RC-2", NOW + timedelta(days=30))
    assert stores.documents.put_new(first) is True
    assert stores.documents.put_new(replace(first, size=1)) is False
    assert stores.documents.put_new(newer) is True
    assert stores.documents.get(org.org_id, first.document_id) == first
    assert stores.documents.get(org.org_id, "missing") is None
    assert [r.document_id for r in stores.documents.for_lease(org.org_id, "TIL-00001")] == [
        newer.document_id,
        first.document_id,
    ]
    stores.documents.set_status(org.org_id, first.document_id, DocumentStatus.PRINTED)
    printed = stores.documents.with_status(org.org_id, DocumentStatus.PRINTED)
    assert [r.document_id for r in printed] == [first.document_id]
    stores.documents.log_access(org.org_id, first.document_id, "tenant", NOW)
    stores.documents.log_access(org.org_id, first.document_id, "staff", NOW)
    assert [a["who"] for a in stores.documents.accesses(org.org_id, first.document_id)] == [
        "tenant",
        "staff",
    ]


def test_consents_keep_their_history_and_campaign_links_work_once(
    stores: Stores, org: Organisation
) -> None:
    given = Consent(True, ConsentSource.PORTAL, ConsentChannel.EMAIL, NOW)
    withdrawn = Consent(False, ConsentSource.STAFF, ConsentChannel.PORTAL, NOW + timedelta(days=1))
    assert stores.documents.consent(org.org_id, "TIL-00001") == (None, [])
    stores.documents.put_consent(org.org_id, "TIL-00001", given)
    stores.documents.put_consent(org.org_id, "TIL-00001", withdrawn)
    assert stores.documents.consent(org.org_id, "TIL-00001") == (withdrawn, [given, withdrawn])
    assert stores.documents.consents(org.org_id) == {"TIL-00001": withdrawn}

    docs = stores.documents
    assert docs.mark_accepted(org.org_id, "c1", "TIL-00001", NOW) is False  # never invited
    assert docs.mark_invited(org.org_id, "c1", "TIL-00001", "email", NOW) is True
    assert docs.mark_invited(org.org_id, "c1", "TIL-00001", "email", NOW) is False
    docs.unmark_invited(org.org_id, "c1", "TIL-00001")
    assert docs.mark_invited(org.org_id, "c1", "TIL-00001", "sms", NOW) is True
    assert docs.mark_accepted(org.org_id, "c1", "TIL-00001", NOW) is True
    assert docs.mark_accepted(org.org_id, "c1", "TIL-00001", NOW) is False
