"""The PynamoDB models store exactly what the hand-written codecs stored.

Existing state dirs, the journal and the raw writers (booking, ledger writer) read
and write these items: attribute names, types (number or string), maps and index
attributes must not change. Each aggregate's representative records (with None
and empty fields) are serialised by the model and compared with the item the
codec wrote before PynamoDB; then stored and read back through the emulator.
"""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from functions.adapters.aws import client
from functions.adapters.dynamo import (
    DynamoApiKeyRepository,
    DynamoEntryRepository,
    DynamoFileRepository,
    DynamoLeaseRepository,
    DynamoLedgerRepository,
    DynamoOrganisationRepository,
    DynamoTransactionRepository,
    collection_key,
    entry_to_item,
    from_ddb,
    lease_from_item,
    lease_to_item,
    ledger_line_to_item,
    query_page,
    to_ddb,
    transaction_from_item,
    transaction_to_item,
)
from functions.adapters.dynamo.base import _query_page, bound
from functions.adapters.dynamo.documents import DocumentModel, DynamoDocumentRepository
from functions.adapters.dynamo.dunning_cases import (
    DunningCaseModel,
    DynamoDunningCaseRepository,
    OpenCaseRef,
)
from functions.adapters.dynamo.entries import EntryModel
from functions.adapters.dynamo.leases import LeaseModel
from functions.adapters.dynamo.ledger import LedgerLineModel
from functions.adapters.dynamo.organisations import OrganisationModel
from functions.adapters.dynamo.transactions import TransactionModel
from functions.adapters.settings import Settings
from functions.core.accounting import AccountingEntry, EntryLine, SourceType
from functions.core.address import PostalAddress
from functions.core.allocation import Allocation
from functions.core.documents import (
    Consent,
    ConsentChannel,
    ConsentSource,
    Delivery,
    DocumentKind,
    DocumentRecord,
    DocumentStatus,
)
from functions.core.dunning import (
    CaseEvent,
    CaseStatus,
    CloseReason,
    DunningCase,
    DunningPolicy,
)
from functions.core.errors import ConflictError, NotFoundError, ValidationError
from functions.core.lease import Lease, PaymentMethod, Tenant
from functions.core.ledger import LedgerLine, LineKind
from functions.core.matching import Method, Outcome
from functions.core.organisation import Branding, ChartOfAccounts, HouseholdSplit, Organisation
from functions.core.records import FileRecord
from functions.core.sepa import Mandate
from functions.core.transactions import BankTransaction, TransactionKind, TransactionStatus
from functions.core.viban import VirtualIbanRange


def _legacy_organisation_item(org: Organisation) -> dict[str, Any]:
    """The organisation codec as it stood before the models (the stored format)."""
    return {
        "org_id": org.org_id,
        "name": org.name,
        "collection_iban": org.collection_iban,
        "viban_bank_code": org.viban_range.bank_code,
        "viban_branch_code": org.viban_range.branch_code,
        "viban_account_prefix": org.viban_range.account_prefix,
        "viban_bic": org.viban_range.bic,
        "chart": dataclasses.asdict(org.chart),
        "siren": org.siren,
        "erp_format": org.erp_format,
        "erp_webhook_url": org.erp_webhook_url,
        "erp_webhook_secret_arn": org.erp_webhook_secret_arn,
        "portal_secret_arn": org.portal_secret_arn,
        "address": org.address.to_dict() if org.address else None,
        "branding": {
            f.name: getattr(org.branding, f.name)
            for f in dataclasses.fields(org.branding)
            if getattr(org.branding, f.name) is not None
        },
        "ics": org.ics,
        "dunning": org.dunning.to_dict() if org.dunning else None,
        "household_split": org.household_split.value,
    }


ORGANISATIONS = [
    Organisation(
        org_id="rt-full",
        name="HLM du Nord",
        collection_iban="FR7630006000011234567890189",
        viban_range=VirtualIbanRange("30006", "00001", "12", "AGRIFRPP"),
        chart=ChartOfAccounts(bank="512100"),
        siren="123456789",
        erp_format="csv",
        erp_webhook_url="https://erp.example/hook",
        erp_webhook_secret_arn="arn:aws:secretsmanager:eu-west-3:1:secret:w",
        portal_secret_arn="arn:aws:secretsmanager:eu-west-3:1:secret:p",
        address=PostalAddress(("1 rue de la Paix", "Bâtiment B"), "59000", "Lille", "FR"),
        branding=Branding(logo="data:image/png;base64,AAAA", legal_mentions="SA HLM"),
        ics="FR12ZZZ123456",
        dunning=DunningPolicy(),
        household_split=HouseholdSplit.PRO_RATA,
    ),
    Organisation(
        org_id="rt-bare",
        name="Bare",
        collection_iban="FR7630006000011234567890189",
        viban_range=VirtualIbanRange("30006", "00001", "12"),
    ),
]


@pytest.mark.parametrize("org", ORGANISATIONS, ids=lambda o: o.org_id)
def test_an_organisation_is_stored_as_before(org: Organisation) -> None:
    stored = OrganisationModel.from_domain(org).serialize()
    assert stored == to_ddb(_legacy_organisation_item(org))
    assert OrganisationModel.from_raw_data(stored).to_domain() == org


def test_bound_models_use_the_clients_endpoint_and_region(
    emulator: Any, settings: Settings
) -> None:
    model = bound(OrganisationModel, settings.organisations_table)
    ddb = client("dynamodb")
    assert model.Meta.table_name == settings.organisations_table
    assert (model.Meta.host, model.Meta.region) == (ddb.meta.endpoint_url, ddb.meta.region_name)
    assert bound(OrganisationModel, settings.organisations_table) is model  # once per process
    assert OrganisationModel.Meta.table_name == ""  # the declaration stays unbound


def test_a_cleared_client_cache_rebinds_the_models_at_the_same_endpoint(
    emulator: Any, settings: Settings
) -> None:
    # The CLI's commands clear the client cache and come back to the same endpoint: the
    # models must follow the process's new client, not keep the one it let go of.
    before = bound(OrganisationModel, settings.organisations_table)
    client.cache_clear()
    after = bound(OrganisationModel, settings.organisations_table)
    assert after is not before
    assert after._get_connection().connection.client is client("dynamodb")
    assert after.Meta.host == before.Meta.host


def test_bound_models_share_the_process_client_across_threads(
    emulator: Any, settings: Settings
) -> None:
    # Threads (the API serves each request on its own) must not build clients of their own.
    model = bound(OrganisationModel, settings.organisations_table)
    repo = DynamoOrganisationRepository(settings.organisations_table)
    org = dataclasses.replace(ORGANISATIONS[0], org_id=ORGANISATIONS[0].org_id + "-threads")
    repo.put_new(org)
    seen: list[Any] = []

    def read() -> None:
        assert repo.get(org.org_id) == org
        seen.append(model._get_connection().connection.client)

    threads = [threading.Thread(target=read) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 4
    assert all(c is client("dynamodb") for c in seen)


def test_organisations_round_trip_through_the_emulator(emulator: Any, settings: Settings) -> None:
    repo = DynamoOrganisationRepository(settings.organisations_table)
    for org in ORGANISATIONS:
        repo.put_new(org)
        raw = client("dynamodb").get_item(
            TableName=settings.organisations_table, Key={"org_id": {"S": org.org_id}}
        )["Item"]
        assert raw == to_ddb(_legacy_organisation_item(org))
        assert repo.get(org.org_id) == org
    with pytest.raises(ConflictError):
        repo.put_new(ORGANISATIONS[0])
    first = repo.reserve_viban_sequences("rt-bare", 3)
    assert repo.reserve_viban_sequences("rt-bare", 2) == range(first.stop, first.stop + 2)
    # put() rewrites the settings and keeps the counter and the matching policy.
    repo.set_matching_policy("rt-bare", {"auto_threshold": 0.9})
    repo.put(dataclasses.replace(ORGANISATIONS[1], name="Renamed"))
    assert repo.get("rt-bare").name == "Renamed"
    assert repo.reserve_viban_sequences("rt-bare", 1) == range(first.stop + 2, first.stop + 3)
    raw = client("dynamodb").get_item(
        TableName=settings.organisations_table, Key={"org_id": {"S": "rt-bare"}}
    )["Item"]
    assert raw["matching_policy"] == {"M": {"auto_threshold": {"N": "0.9"}}}
    assert raw["viban_next"]["N"].isdigit()
    assert {"rt-full", "rt-bare"} <= set(repo.list_ids())


def test_api_keys_are_stored_as_before_and_read_as_records(
    emulator: Any, settings: Settings
) -> None:
    repo = DynamoApiKeyRepository(settings.api_keys_table)
    key_hash = "ab12" * 16
    repo.put(key_hash, "rt-keys", ["erp", "backoffice"], "ERP")
    with pytest.raises(ConflictError):
        repo.put(key_hash, "rt-keys", ["erp"], "again")
    raw = client("dynamodb").get_item(
        TableName=settings.api_keys_table, Key={"key_hash": {"S": key_hash}}
    )["Item"]
    assert set(raw) == {"key_hash", "org_id", "scopes", "label", "created_at", "key_prefix"}
    assert raw["scopes"] == {"L": [{"S": "erp"}, {"S": "backoffice"}]}
    assert raw["key_prefix"] == {"S": key_hash[:8]}
    record = repo.get(key_hash)
    assert record is not None and record.scopes == ("erp", "backoffice")
    assert record.key_id == key_hash[:12] and record.revoked_at is None
    assert [k.key_hash for k in repo.list_for_org("rt-keys")] == [key_hash]
    assert repo.find_by_id(key_hash[:10]) == record
    assert repo.revoke(key_hash, datetime.now(UTC)) is True
    assert repo.revoke(key_hash, datetime.now(UTC)) is False
    revoked = repo.get(key_hash)
    assert revoked is not None and revoked.revoked_at is not None
    assert repo.get("00" * 32) is None


def test_file_records_round_trip_with_their_cursor(emulator: Any, settings: Settings) -> None:
    """Typed records, stored as the ingest service's dicts were."""
    repo = DynamoFileRepository(settings.files_table)
    received = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    items = [
        {
            "org_id": "rt-files",
            "file_id": f"f{i:02}",
            "key": f"rt-files/s{i}.xml",
            "name": f"s{i}.xml",
            "size": 1200 + i,
            "received_at": received.isoformat(),
        }
        | (
            {"status": "quarantined", "error": {"reason": "bad", "line": 3, "lines": []}}
            if i == 0
            else {
                "status": "ingested",
                "format": "camt.054",
                "statements": 1,
                "transactions": 10 + i,
                "new_transactions": i,
                "rejects": 0,
            }
            | ({"duplicates": 2} if i == 2 else {})
        )
        for i in range(5)
    ]
    records = [
        FileRecord(**{k: v for k, v in item.items() if k != "received_at"}, received_at=received)
        for item in items
    ]
    for record in records:
        repo.put(record)
    for record, item in zip(records, items, strict=True):
        raw = client("dynamodb").get_item(
            TableName=settings.files_table,
            Key={"org_id": {"S": "rt-files"}, "file_id": {"S": record.file_id}},
        )["Item"]
        assert raw == to_ddb(item)
    assert repo.get("rt-files", "f00") == records[0]
    assert repo.get("rt-files", "f99") is None
    first = repo.list("rt-files", limit=3)
    assert first.items == records[:3] and first.cursor
    # The cursor is the one the low-level listing handed out (clients may hold some).
    assert first.cursor == _query_page(settings.files_table, "rt-files", 3, None).cursor
    rest = repo.list("rt-files", limit=3, cursor=first.cursor)
    assert rest.items == records[3:] and rest.cursor is None


# ---------------------------------------------------------------- leases


def _lease(lease_id: str, **changes: Any) -> Lease:
    base = Lease(
        org_id="rt-leases",
        lease_id=lease_id,
        tenants=(Tenant("Mme Durand", "durand@example.fr"), Tenant("M. Durand", None, "0600")),
        residence="Les Tilleuls",
        commune="Lille",
        unit="B12",
        start_date=date(2024, 1, 1),
        rent_cents=45_000,
        charges_cents=6_000,
        viban=f"FR76300060000112{abs(hash(lease_id)) % 10**11:011}",
        rf_reference=f"RF18{lease_id}",
    )
    return dataclasses.replace(base, **changes)


LEASES = [
    _lease("L1"),
    _lease(
        "L2",
        tenants=(),
        residence="",
        end_date=date(2026, 6, 30),
        apl_cents=12_000,
        payment_method=PaymentMethod.DIRECT_DEBIT,
        mandate_id="RUM-1",
        e_delivery_consent=True,
        balance_cents=-1_500,
        version=7,
        payer_ibans=("FR7630006000011234567890189",),
        postal_address=PostalAddress(("1 rue de la Paix",), "59000", "Lille", "FR"),
        mandate=Mandate("RUM-1", date(2024, 1, 1), "FR7630006000011234567890189", "Durand"),
        household_id="H1",
        external_id="ERP-2",
    ),
]


@pytest.mark.parametrize("lease", LEASES, ids=lambda x: x.lease_id)
def test_a_lease_is_stored_as_before(lease: Lease) -> None:
    stored = LeaseModel.from_domain(lease).serialize()
    assert stored == to_ddb(lease_to_item(lease))
    assert (
        LeaseModel.from_raw_data(stored).to_domain() == lease == lease_from_item(from_ddb(stored))
    )


def test_leases_round_trip_through_the_emulator(emulator: Any, settings: Settings) -> None:
    repo = DynamoLeaseRepository(settings.leases_table)
    first, second = LEASES
    repo.put_new(first)
    repo.put_many_new([second])
    with pytest.raises(ConflictError):
        repo.put_new(first)
    for lease in LEASES:
        raw = client("dynamodb").get_item(
            TableName=settings.leases_table,
            Key={"org_id": {"S": lease.org_id}, "lease_id": {"S": lease.lease_id}},
        )["Item"]
        assert raw == to_ddb(lease_to_item(lease))  # version 0 stays 0
        assert repo.get(lease.org_id, lease.lease_id) == lease
    assert repo.find_many("rt-leases", ["L2", "L1", "L9"]) == {"L1": first, "L2": second}
    assert repo.by_viban("rt-leases", second.viban) == second
    assert repo.by_viban("another-org", second.viban) is None
    assert repo.by_rf("rt-leases", first.rf_reference) == first
    assert repo.by_rf_any_org(second.rf_reference) == second
    assert repo.with_external_id("rt-leases", "ERP-2") == [second]
    assert list(repo.iter_all("rt-leases")) == LEASES
    page = repo.list("rt-leases", limit=1)
    assert list(page.items) == [first]
    assert page.cursor == _query_page(settings.leases_table, "rt-leases", 1, None).cursor
    assert list(repo.list("rt-leases", limit=1, cursor=page.cursor).items) == [second]
    # The ERP's terms change; balance, version and payer IBANs stay.
    repo.update_terms(dataclasses.replace(second, rent_cents=47_000, mandate=None, version=0))
    assert repo.get("rt-leases", "L2") == dataclasses.replace(
        second, rent_cents=47_000, mandate=None
    )
    repo.update_terms(dataclasses.replace(second, payer_ibans=()), payer_ibans=True)
    assert repo.get("rt-leases", "L2").payer_ibans == ()


# ---------------------------------------------------------------- ledger and entries

CREATED = datetime(2026, 11, 5, 9, 30, tzinfo=UTC)

LINES = [
    LedgerLine("rt-ledger", "L1", "l001", LineKind.RENT_CALL, date(2026, 11, 1), 51_000,
               "Loyer novembre", "call-11", CREATED),
    LedgerLine("rt-ledger", "L1", "l002", LineKind.PAYMENT, date(2026, 11, 5), -51_000,
               "", "tx_1", CREATED),
]  # fmt: skip


def _entry(entry_id: str, day: date, lease_id: str | None = "L1") -> AccountingEntry:
    return AccountingEntry(
        org_id="rt-entries",
        entry_id=entry_id,
        date=day,
        journal="BQ",
        label="Virement Durand",
        source_type=SourceType.ALLOCATION,
        source_id="tx_1",
        transaction_id="tx_1",
        lease_id=lease_id,
        lines=(
            EntryLine("512000", 51_000, 0),
            EntryLine("411000", 0, 51_000, subledger=lease_id, label="Durand"),
        ),
        created_at=CREATED,
    )


ENTRIES = [
    _entry("20261105-0001", date(2026, 11, 5)),
    _entry("20261106-0002", date(2026, 11, 6), lease_id=None),
    _entry("20261201-0003", date(2026, 12, 1)),
]


@pytest.mark.parametrize("line", LINES, ids=lambda x: x.line_id)
def test_a_ledger_line_is_stored_as_before(line: LedgerLine) -> None:
    stored = LedgerLineModel.from_domain(line).serialize()
    assert stored == to_ddb(ledger_line_to_item(line))
    assert LedgerLineModel.from_raw_data(stored).to_domain() == line


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda x: x.entry_id)
def test_an_entry_is_read_as_written(entry: AccountingEntry) -> None:
    """The booker writes entries raw: the model declares every attribute it writes."""
    stored = to_ddb(entry_to_item(entry))
    model = EntryModel.from_raw_data(stored)
    assert model.serialize() == stored
    assert model.to_domain() == entry


def test_ledger_lines_round_trip_through_the_emulator(emulator: Any, settings: Settings) -> None:
    repo = DynamoLedgerRepository(settings.ledger_table)
    repo.put_many_new(LINES)
    raw = client("dynamodb").get_item(
        TableName=settings.ledger_table,
        Key={"account_key": {"S": "rt-ledger#L1"}, "line_id": {"S": "l002"}},
    )["Item"]
    assert raw == to_ddb(ledger_line_to_item(LINES[1]))
    assert repo.lines("rt-ledger", "L1") == LINES


def test_the_erp_outbox_through_the_emulator(emulator: Any, settings: Settings) -> None:
    repo = DynamoEntryRepository(settings.entries_table)
    for entry in ENTRIES:
        client("dynamodb").put_item(
            TableName=settings.entries_table, Item=to_ddb(entry_to_item(entry))
        )
    assert repo.list_pending("rt-entries", limit=2) == (ENTRIES[:2], ENTRIES[1].entry_id)
    assert repo.list_pending("rt-entries", after=ENTRIES[1].entry_id) == ([ENTRIES[2]], None)
    november = repo.between("rt-entries", date(2026, 11, 1), date(2026, 11, 30), limit=10)
    assert november == ENTRIES[:2]
    with pytest.raises(ValidationError):
        repo.between("rt-entries", date(2026, 11, 1), date(2026, 12, 31), limit=2)
    stale = CREATED.replace(hour=8)
    assert repo.claim("rt-entries", "b1", 2, CREATED, stale) == ENTRIES[:2]
    assert repo.claim("rt-entries", "b2", 5, CREATED, stale) == [ENTRIES[2]]
    repo.release("rt-entries", [ENTRIES[0].entry_id], "b2")  # not b2's: kept by b1
    repo.release("rt-entries", [ENTRIES[1].entry_id], "b1")
    assert repo.claim("rt-entries", "b3", 5, CREATED, stale) == [ENTRIES[1]]
    assert repo.acknowledge("rt-entries", [ENTRIES[0].entry_id, "nope"], "erp") == [
        ENTRIES[0].entry_id
    ]
    assert repo.acknowledge("rt-entries", [ENTRIES[0].entry_id], "other") == [ENTRIES[0].entry_id]
    raw = client("dynamodb").get_item(
        TableName=settings.entries_table,
        Key={"org_id": {"S": "rt-entries"}, "entry_id": {"S": ENTRIES[0].entry_id}},
    )["Item"]
    assert "pending_org" not in raw and raw["acknowledged_by"] == {"S": "erp"}
    assert [e.entry_id for e in repo.list_pending("rt-entries")[0]] == [
        e.entry_id for e in ENTRIES[1:]
    ]


# ---------------------------------------------------------------- transactions


def _tx(i: int, **changes: Any) -> BankTransaction:
    tx = BankTransaction(
        org_id="rt-txs",
        transaction_id=f"tx_{i:04}",
        kind=TransactionKind.CREDIT,
        amount_cents=51_000,
        currency="EUR",
        booking_date=date(2026, 11, 5),
        value_date=None,
        account_iban="FR7630006000011234567890189",
        statement_id="S1",
        bank_reference=None,
        bank_transaction_code="PMNT-RCDT-ESCT",
        counterparty_name="Durand",
        counterparty_iban=None,
        creditor_account_iban=None,
        end_to_end_id="E2E-1",
        mandate_id=None,
        remittance="loyer",
        structured_reference=None,
        return_reason=None,
        original_end_to_end_id=None,
        reversal=False,
        file_id="f1",
    )
    return dataclasses.replace(tx, **changes)


DECIDED = {
    "decision": {
        "outcome": "allocated",
        "method": "viban",
        "score": Decimal("0.93"),
        "allocations": [{"lease_id": "L1", "amount_cents": 51_000}],
        "evidence": ["viban"],
        "reason": None,
        "suggestions": [],
        "decided_at": "2026-11-05T10:00:00+00:00",
    },
    "revision": 1,
    "history": [{"outcome": "review", "revision": 0, "replaced_at": "2026-11-05T10:00:00+00:00"}],
    "recorded_at": "2026-11-05T09:00:00+00:00",
}


@pytest.mark.parametrize(
    "item",
    [
        transaction_to_item(_tx(1)),
        transaction_to_item(_tx(2, kind=TransactionKind.DEBIT, reversal=True, file_id=""))
        | DECIDED,
        collection_key("rt-txs", "E2E-1")
        | {
            "collection_of": "tx_0001",
            "booking_date": "2026-11-05",
            "allocations": [{"lease_id": "L1", "amount_cents": 51_000}],
            "reversed_by": "tx_0009",
        },
    ],
    ids=["new", "decided", "collection"],
)
def test_a_transaction_item_is_read_as_written(item: dict[str, Any]) -> None:
    """The ingest and the booker write these raw: the model declares all they write."""
    stored = to_ddb(item)
    model = TransactionModel.from_raw_data(stored)
    assert model.serialize() == stored
    if item["transaction_id"].startswith("tx_"):
        assert model.to_domain() == transaction_from_item(from_ddb(stored))
        record = model.to_record()
        assert record.transaction == model.to_domain()
        if "decision" not in item:
            assert (record.decision, record.revision, record.history) == (None, 0, ())
            return
        assert record.revision == 1 and record.decision is not None
        assert record.decision.decided_at == datetime(2026, 11, 5, 10, 0, tzinfo=UTC)
        decision = record.decision.decision
        assert (decision.outcome, decision.method, decision.score) == (
            Outcome.ALLOCATED,
            Method.VIBAN,
            0.93,
        )
        assert decision.allocations == (Allocation("L1", 51_000),)
        assert decision.evidence == ("viban",) and decision.reason is None
        (replaced,) = record.history
        assert replaced.decision.outcome is Outcome.REVIEW and replaced.revision == 0
        assert replaced.replaced_at == datetime(2026, 11, 5, 10, 0, tzinfo=UTC)


def test_transactions_round_trip_through_the_emulator(emulator: Any, settings: Settings) -> None:
    repo = DynamoTransactionRepository(settings.transactions_table)
    txs = [_tx(i) for i in range(5)]
    assert repo.add_new(txs)[0] == [t.transaction_id for t in txs]
    ids = ["tx_0003", "tx_0000", "tx_0009", "tx_0001"]
    assert repo.get_many("rt-txs", ids) == [txs[3], txs[0], txs[1]]
    ddb = client("dynamodb")
    ddb.update_item(
        TableName=settings.transactions_table,
        Key={"org_id": {"S": "rt-txs"}, "transaction_id": {"S": "tx_0002"}},
        UpdateExpression="SET #s = :s, org_status = :os, decision = :d, revision = :r",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues=to_ddb(
            {":s": "allocated", ":os": "rt-txs#allocated", ":d": DECIDED["decision"], ":r": 1}
        ),
    )
    record = repo.get("rt-txs", "tx_0002")
    assert record.status is TransactionStatus.ALLOCATED and record.decision is not None
    assert record.decision.decision.allocations == (Allocation("L1", 51_000),)
    assert record.transaction == dataclasses.replace(txs[2], status=TransactionStatus.ALLOCATED)
    for unknown in ("tx_9999", "~e2e#E2E-1"):
        with pytest.raises(NotFoundError):
            repo.get("rt-txs", unknown)
    ddb.put_item(
        TableName=settings.transactions_table,
        Item=to_ddb(
            collection_key("rt-txs", "E2E-1")
            | {"collection_of": "tx_0001", "allocations": [{"lease_id": "L1", "amount_cents": 9}]}
        ),
    )
    found = repo.collection("rt-txs", "E2E-1")
    assert found is not None and found.transaction_id == "tx_0001"
    assert found.allocations == (Allocation("L1", 9),) and found.booking_date is None
    assert repo.collection("rt-txs", "E2E-2") is None
    # Listings skip the collection; their cursors are the low-level query's.
    page = repo.list("rt-txs", limit=2)
    assert [r.transaction for r in page.items] == txs[:2]
    legacy = {
        "TableName": settings.transactions_table,
        "KeyConditionExpression": "org_id = :o AND begins_with(transaction_id, :tx)",
        "ExpressionAttributeValues": {":o": {"S": "rt-txs"}, ":tx": {"S": "tx_"}},
        "Limit": 2,
    }
    assert page.cursor == query_page(legacy, None).cursor
    rest = repo.list("rt-txs", limit=10, cursor=page.cursor)
    assert [r.transaction_id for r in rest.items] == ["tx_0002", "tx_0003", "tx_0004"]
    assert [r.transaction_id for r in repo.list("rt-txs", "allocated").items] == ["tx_0002"]
    assert len(repo.list("rt-txs", "new").items) == 4
    with pytest.raises(ValidationError):
        repo.list("rt-txs", "allocated", cursor=page.cursor)


# ---------------------------------------------------------------- dunning cases


def _legacy_case_item(case: DunningCase) -> dict[str, Any]:
    """The dunning-case codec as it stood before the model (the stored format)."""
    item = {
        "org_id": case.org_id,
        "case_id": case.case_id,
        "kind": "case",
        "lease_id": case.lease_id,
        "status": case.status.value,
        "opened_at": case.opened_at.isoformat(),
        "balance_at_opening_cents": case.balance_at_opening_cents,
        "oldest_unpaid": case.oldest_unpaid.isoformat() if case.oldest_unpaid else None,
        "execution_arn": case.execution_arn,
        "closed_at": case.closed_at.isoformat() if case.closed_at else None,
        "close_reason": case.close_reason.value if case.close_reason else None,
        "history": [
            {"step": e.step, "at": e.at.isoformat(), "detail": dict(e.detail)} for e in case.history
        ],
    }
    return to_ddb(item)


OPENED = datetime(2026, 11, 10, 6, 0, tzinfo=UTC)
CASES = [
    DunningCase("rt-dunning", "case-new", "L1", OPENED, 45_000),
    DunningCase(
        "rt-dunning",
        "case-closed",
        "L2",
        OPENED,
        120_000,
        oldest_unpaid=date(2026, 9, 1),
        status=CaseStatus.CLOSED,
        execution_arn="arn:aws:states:eu-west-3:0:execution:dunning:x",
        closed_at=OPENED + timedelta(days=40),
        close_reason=CloseReason.REFERRED,
        history=(
            CaseEvent("opened", OPENED),
            CaseEvent("reminder", OPENED, {"balance_cents": 120_000, "sent": True, "to": "e"}),
        ),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.case_id)
def test_a_dunning_case_is_stored_as_before(case: DunningCase) -> None:
    stored = DunningCaseModel.from_domain(case).serialize()
    assert stored == _legacy_case_item(case)
    assert DunningCaseModel.from_raw_data(stored).to_domain() == case
    lock = DunningCaseModel.lock_of(case).serialize()
    assert lock == to_ddb(
        {
            "org_id": case.org_id,
            "case_id": f"open#{case.lease_id}",
            "kind": "open_lock",
            "lease_id": case.lease_id,
            "open_case_id": case.case_id,
        }
    )


def test_dunning_cases_round_trip_through_the_emulator(emulator: Any, settings: Settings) -> None:
    """Open, record, close as paid and not paid: the transactions' reasons are read
    in PynamoDB's order (deletes before updates)."""
    repo = DynamoDunningCaseRepository(settings.dunning_table)
    first, second = CASES[0], dataclasses.replace(CASES[0], case_id="case-2", lease_id="L2")
    assert repo.open(first) == (first, True)
    assert repo.open(dataclasses.replace(first, case_id="case-again")) == (first, False)
    repo.record("rt-dunning", "case-new", CaseEvent("reminder", OPENED, {"sent": True}))
    with pytest.raises(NotFoundError):
        repo.record("rt-dunning", "case-none", CaseEvent("reminder", OPENED))
    stored = repo.get("rt-dunning", "case-new")
    assert stored.history == (CaseEvent("reminder", OPENED, {"sent": True}),)
    assert repo.find("rt-dunning", "open#L1") is None  # a lock is not a case
    closing = CaseEvent("closed", OPENED + timedelta(days=3), {"reason": "paid"})
    assert repo.close(stored, CloseReason.PAID, closing) is True
    assert repo.close(stored, CloseReason.PAID, closing) is False
    assert repo.open_cases("rt-dunning") == {}
    closed = repo.get("rt-dunning", "case-new")
    assert closed.status is CaseStatus.CLOSED and closed.close_reason is CloseReason.PAID
    assert closed.history[-1] == closing
    assert repo.open(second) == (second, True)
    repo.set_execution(second, "arn:x")
    assert repo.open_cases("rt-dunning") == {"L2": OpenCaseRef("L2", "case-2", True, False)}
    assert repo.close(second, CloseReason.REFERRED, closing) is True
    assert repo.close(second, CloseReason.REFERRED, closing) is False
    assert repo.open_cases("rt-dunning")["L2"].held
    assert repo.open_case_of("rt-dunning", "L2") == repo.get("rt-dunning", "case-2")
    assert repo.release("rt-dunning", "L2", "case-new") is False
    assert repo.release("rt-dunning", "L2", "case-2") is True
    assert repo.open_case_of("rt-dunning", "L2") is None


# ---------------------------------------------------------------- documents


def _legacy_document_item(r: DocumentRecord) -> dict[str, Any]:
    """The manifest codec as it stood before the model (the stored format)."""
    return to_ddb(
        {
            "org_id": r.org_id,
            "sk": f"doc#{r.document_id}",
            "lease_key": f"{r.org_id}#{r.lease_id}",
            "lease_id": r.lease_id,
            "document_id": r.document_id,
            "kind": r.kind.value,
            "period": r.period,
            "sha256": r.sha256,
            "size": r.size,
            "created_at": r.created_at.isoformat(),
            "delivery": r.delivery.value,
            "status": r.status.value,
            "postcode": r.postcode,
        }
    )


DOCUMENTS = [
    DocumentRecord(
        "rt-docs", "L1", "d1", DocumentKind.AVIS_ECHEANCE, "2026-12", "ab" * 32, 41_000,
        CREATED, Delivery.PRINT, DocumentStatus.STORED, "59000",
    ),
    DocumentRecord(
        "rt-docs", "L1", "d2", DocumentKind.RIB, None, "cd" * 32, 9_000,
        CREATED + timedelta(days=1), Delivery.SAFE, DocumentStatus.NOTIFIED,
    ),
]  # fmt: skip


@pytest.mark.parametrize("record", DOCUMENTS, ids=lambda r: r.document_id)
def test_a_document_manifest_is_stored_as_before(record: DocumentRecord) -> None:
    stored = DocumentModel.from_domain(record).serialize()
    assert stored == _legacy_document_item(record)
    assert DocumentModel.from_raw_data(stored).to_domain() == record


def test_documents_consents_and_campaigns_through_the_emulator(
    emulator: Any, settings: Settings
) -> None:
    repo = DynamoDocumentRepository(settings.documents_table)
    for record in DOCUMENTS:
        assert repo.put_new(record) is True
    assert repo.put_new(DOCUMENTS[0]) is False
    assert repo.get("rt-docs", "d1") == DOCUMENTS[0] and repo.get("rt-docs", "d9") is None
    assert repo.for_lease("rt-docs", "L1") == DOCUMENTS[::-1]  # newest first
    repo.set_status("rt-docs", "d1", DocumentStatus.PRINTED)
    assert repo.with_status("rt-docs", DocumentStatus.PRINTED) == [
        dataclasses.replace(DOCUMENTS[0], status=DocumentStatus.PRINTED)
    ]
    repo.log_access("rt-docs", "d1", "tenant", CREATED)
    repo.log_access("rt-docs", "d1", "staff:ana", CREATED + timedelta(hours=1))
    assert repo.accesses("rt-docs", "d1") == [
        {"who": "tenant", "at": CREATED.isoformat()},
        {"who": "staff:ana", "at": (CREATED + timedelta(hours=1)).isoformat()},
    ]
    assert repo.accesses("rt-docs", "d9") == []
    ddb = client("dynamodb")
    raw = ddb.get_item(
        TableName=settings.documents_table,
        Key={"org_id": {"S": "rt-docs"}, "sk": {"S": "doc#d1"}},
    )["Item"]
    assert raw["accesses"] == to_ddb({"a": [{"who": "tenant", "at": CREATED.isoformat()},
        {"who": "staff:ana", "at": (CREATED + timedelta(hours=1)).isoformat()}]})["a"]  # fmt: skip
    given = Consent(True, ConsentSource.PORTAL, ConsentChannel.EMAIL, CREATED)
    withdrawn = Consent(False, ConsentSource.STAFF, ConsentChannel.PORTAL, CREATED)
    assert repo.consent("rt-docs", "L1") == (None, [])
    repo.put_consent("rt-docs", "L1", given)
    repo.put_consent("rt-docs", "L1", withdrawn)
    assert repo.consent("rt-docs", "L1") == (withdrawn, [given, withdrawn])
    assert repo.consents("rt-docs") == {"L1": withdrawn}
    raw = ddb.get_item(
        TableName=settings.documents_table,
        Key={"org_id": {"S": "rt-docs"}, "sk": {"S": "consent#L1"}},
    )["Item"]
    entry = {"e_delivery": False, "source": "staff", "channel": "portal", "at": CREATED.isoformat()}
    assert raw == to_ddb(
        {"org_id": "rt-docs", "sk": "consent#L1", "lease_id": "L1",
         "history": [entry | {"e_delivery": True, "source": "portal", "channel": "email"}, entry]}
        | entry
    )  # fmt: skip
    assert repo.mark_invited("rt-docs", "c1", "L1", "email", CREATED) is True
    assert repo.mark_invited("rt-docs", "c1", "L1", "email", CREATED) is False
    repo.unmark_invited("rt-docs", "c1", "L1")
    assert repo.mark_invited("rt-docs", "c1", "L1", "sms", CREATED) is True
    assert repo.mark_accepted("rt-docs", "c1", "L1", CREATED) is True
    assert repo.mark_accepted("rt-docs", "c1", "L1", CREATED) is False
    assert repo.mark_accepted("rt-docs", "c1", "L2", CREATED) is False
    repo.unmark_invited("rt-docs", "c1", "L1")  # accepted: kept
    assert repo.mark_invited("rt-docs", "c1", "L1", "sms", CREATED) is False
    raw = ddb.get_item(
        TableName=settings.documents_table,
        Key={"org_id": {"S": "rt-docs"}, "sk": {"S": "campaign#c1#L1"}},
    )["Item"]
    assert raw == to_ddb(
        {"org_id": "rt-docs", "sk": "campaign#c1#L1", "campaign_id": "c1", "lease_id": "L1",
         "channel": "sms", "invited_at": CREATED.isoformat(), "accepted_at": CREATED.isoformat()}
    )  # fmt: skip
