"""Wires adapters into services, once per process (cold start).

The single place that knows which implementation serves which role.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from functions.adapters.documents import SqsNoticeQueue
from functions.adapters.dynamo import (
    BookingTables,
    DynamoBooker,
    DynamoFileRepository,
    DynamoLeaseRepository,
    DynamoLedgerRepository,
    DynamoOrganisationRepository,
    DynamoTransactionRepository,
)
from functions.adapters.secrets import SecretsManagerStore
from functions.adapters.settings import Settings
from functions.adapters.storage import S3FileStore, SqsMatchQueue
from functions.core.sweep import Sweeper
from functions.ingest.parsers import ZipLimits, parse_bytes, stream_file
from functions.ingest.service import StatementIngestor
from functions.match.service import PaymentMatcher
from functions.organisations.secrets import OrganisationSecrets

if TYPE_CHECKING:
    from functions.adapters.books import DynamoBooksReader
    from functions.adapters.recovery import SqsRedriver


def build_ingestor(settings: Settings) -> StatementIngestor:
    return StatementIngestor(
        orgs=DynamoOrganisationRepository(settings.organisations_table),
        files=DynamoFileRepository(settings.files_table),
        transactions=DynamoTransactionRepository(settings.transactions_table),
        store=S3FileStore(
            settings.inbox_bucket, settings.quarantine_bucket, settings.archive_bucket
        ),
        queue=SqsMatchQueue(settings.match_queue_url),
        parse=partial(parse_bytes, limits=_zip_limits(settings)),
        stream=partial(stream_file, limits=_zip_limits(settings)),
    )


def _zip_limits(settings: Settings) -> ZipLimits:
    return ZipLimits.of(settings.zip_max_members, settings.zip_max_bytes, settings.zip_max_ratio)


def build_matcher(settings: Settings) -> PaymentMatcher:
    return PaymentMatcher(
        orgs=DynamoOrganisationRepository(settings.organisations_table),
        leases=DynamoLeaseRepository(settings.leases_table),
        transactions=DynamoTransactionRepository(settings.transactions_table),
        booker=DynamoBooker(
            BookingTables(
                leases=settings.leases_table,
                ledger=settings.ledger_table,
                transactions=settings.transactions_table,
                entries=settings.entries_table,
            )
        ),
        ledger=DynamoLedgerRepository(settings.ledger_table),
        on_booked=(
            SqsNoticeQueue(settings.notices_queue_url).send_quittance_checks
            if settings.notices_queue_url
            else None
        ),
    )


def build_sweeper(settings: Settings) -> Sweeper:
    from datetime import UTC, datetime

    from functions.adapters.recovery import DynamoWaitingTransactions, S3Inbox, SqsIngestQueue

    return Sweeper(
        orgs=DynamoOrganisationRepository(settings.organisations_table),
        transactions=DynamoWaitingTransactions(settings.transactions_table),
        inbox=S3Inbox(settings.inbox_bucket),
        match_queue=SqsMatchQueue(settings.match_queue_url),
        ingest_queue=SqsIngestQueue(settings.ingest_queue_url, settings.inbox_bucket),
        clock=lambda: datetime.now(UTC),
    )


def build_redriver(settings: Settings) -> SqsRedriver:
    from functions.adapters.recovery import SqsRedriver

    return SqsRedriver({"ingest": settings.ingest_queue_url, "match": settings.match_queue_url})


def build_books_reader(settings: Settings) -> DynamoBooksReader:
    from functions.adapters.books import DynamoBooksReader

    return DynamoBooksReader(
        settings.leases_table,
        settings.ledger_table,
        settings.transactions_table,
        settings.entries_table,
    )


def build_org_secrets(settings: Settings) -> OrganisationSecrets:
    return OrganisationSecrets(SecretsManagerStore(), settings.secrets_prefix or "encaisse")
