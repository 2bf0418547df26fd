"""The composition root: ``Settings`` → repositories → services, once per process.

The single place that knows which implementation serves which role. Every handler
and the API take what they need from one :class:`Composition`; each repository and
service is built (and its modules imported) on first use, so a cold start pays only
for what its function uses.

Handlers build theirs at import from ``Settings.from_env()`` (a missing variable stops
the function at start-up); the API builds its own on the first request, so that the
Chalice app can be imported (for its routes and OpenAPI) without an environment.
"""

from __future__ import annotations

from functools import cached_property, partial
from typing import TYPE_CHECKING

from functions.adapters.settings import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import BasePersistenceLayer

    from functions.adapters.books import DynamoBooksReader
    from functions.adapters.documents import (
        DynamoDocumentRepository,
        S3DocumentStore,
        SqsNoticeQueue,
    )
    from functions.adapters.dynamo import (
        DynamoApiKeyRepository,
        DynamoBooker,
        DynamoEntryRepository,
        DynamoFileRepository,
        DynamoLeaseRepository,
        DynamoLedgerRepository,
        DynamoLedgerWriter,
        DynamoOrganisationRepository,
        DynamoTransactionRepository,
    )
    from functions.adapters.dynamo.dunning_cases import DynamoDunningCaseRepository
    from functions.adapters.dynamo.listings import DynamoListings
    from functions.adapters.idempotency import S3ReplayStore
    from functions.adapters.messaging import SesMailer, SnsSmsSender
    from functions.adapters.recovery import SqsRedriver
    from functions.adapters.uploads import S3UploadLinks
    from functions.core.sweep import Sweeper
    from functions.documents.campaign import ConsentCampaign
    from functions.documents.print_run import PrintRunService
    from functions.documents.service import DocumentService
    from functions.erp.exports import EntryExports
    from functions.erp.service import ErpPushService
    from functions.ingest.parsers import ZipLimits
    from functions.ingest.service import StatementIngestor
    from functions.leases.service import LeaseService
    from functions.match.review import ReviewService
    from functions.match.service import PaymentMatcher
    from functions.notify.service import DunningService
    from functions.organisations.secrets import OrganisationSecrets
    from functions.organisations.service import OrganisationService
    from functions.organisations.tenant_links import TenantLinks


class Composition:
    """Every repository and service of the platform, built from ``settings`` on first use.

    Without ``settings``, they are read from the environment on first use.
    """

    def __init__(self, settings: Settings | None = None) -> None:
        if settings is not None:
            self.__dict__["settings"] = settings  # takes precedence over the property

    @classmethod
    def from_env(cls) -> Composition:
        """Settings read now: a missing variable stops the start-up (``MissingSettingError``)."""
        return cls(Settings.from_env())

    @cached_property
    def settings(self) -> Settings:
        return Settings.from_env()

    # ------------------------------------------------------------ repositories

    @cached_property
    def organisations(self) -> DynamoOrganisationRepository:
        from functions.adapters.dynamo import DynamoOrganisationRepository

        return DynamoOrganisationRepository(self.settings.organisations_table)

    @cached_property
    def api_keys(self) -> DynamoApiKeyRepository:
        from functions.adapters.dynamo import DynamoApiKeyRepository

        return DynamoApiKeyRepository(self.settings.api_keys_table)

    @cached_property
    def leases(self) -> DynamoLeaseRepository:
        from functions.adapters.dynamo import DynamoLeaseRepository

        return DynamoLeaseRepository(self.settings.leases_table)

    @cached_property
    def ledger(self) -> DynamoLedgerRepository:
        from functions.adapters.dynamo import DynamoLedgerRepository

        return DynamoLedgerRepository(self.settings.ledger_table)

    @cached_property
    def ledger_writer(self) -> DynamoLedgerWriter:
        from functions.adapters.dynamo import DynamoLedgerWriter

        s = self.settings
        return DynamoLedgerWriter(s.ledger_table, s.leases_table, s.entries_table)

    @cached_property
    def entries(self) -> DynamoEntryRepository:
        from functions.adapters.dynamo import DynamoEntryRepository

        return DynamoEntryRepository(self.settings.entries_table)

    @cached_property
    def transactions(self) -> DynamoTransactionRepository:
        from functions.adapters.dynamo import DynamoTransactionRepository

        return DynamoTransactionRepository(self.settings.transactions_table)

    @property
    def transaction_records(self) -> DynamoTransactionRepository:
        """Transactions with their decision and history, as typed records."""
        return self.transactions

    @cached_property
    def listings(self) -> DynamoListings:
        """Pages of leases and files for the API."""
        from functions.adapters.dynamo.listings import DynamoListings

        return DynamoListings(self.leases, self.files)

    @cached_property
    def files(self) -> DynamoFileRepository:
        from functions.adapters.dynamo import DynamoFileRepository

        return DynamoFileRepository(self.settings.files_table)

    @cached_property
    def dunning_cases(self) -> DynamoDunningCaseRepository:
        from functions.adapters.dynamo.dunning_cases import DynamoDunningCaseRepository

        return DynamoDunningCaseRepository(self.settings.dunning_table)

    @cached_property
    def document_manifests(self) -> DynamoDocumentRepository:
        from functions.adapters.documents import DynamoDocumentRepository

        return DynamoDocumentRepository(self.settings.documents_table)

    @cached_property
    def document_store(self) -> S3DocumentStore:
        from functions.adapters.documents import S3DocumentStore

        return S3DocumentStore(self.settings.documents_bucket)

    @cached_property
    def booker(self) -> DynamoBooker:
        from functions.adapters.dynamo import BookingTables, DynamoBooker

        s = self.settings
        return DynamoBooker(
            BookingTables(
                leases=s.leases_table,
                ledger=s.ledger_table,
                transactions=s.transactions_table,
                entries=s.entries_table,
            )
        )

    @cached_property
    def notice_queue(self) -> SqsNoticeQueue:
        from functions.adapters.documents import SqsNoticeQueue

        return SqsNoticeQueue(self.settings.notices_queue_url)

    @cached_property
    def upload_links(self) -> S3UploadLinks:
        """Pre-signed URLs to put a statement file into the inbox."""
        from functions.adapters.uploads import S3UploadLinks

        return S3UploadLinks(self.settings.inbox_bucket)

    @cached_property
    def idempotency_store(self) -> BasePersistenceLayer:
        from functions.adapters.idempotency import idempotency_store

        return idempotency_store(self.settings.idempotency_table)

    @cached_property
    def replays(self) -> S3ReplayStore:
        from functions.adapters.idempotency import S3ReplayStore

        return S3ReplayStore(self.settings.documents_bucket)

    @cached_property
    def mailer(self) -> SesMailer:
        from functions.adapters.messaging import SesMailer

        return SesMailer(self.settings.mail_sender)

    @cached_property
    def sms(self) -> SnsSmsSender:
        from functions.adapters.messaging import SnsSmsSender

        return SnsSmsSender()

    # ------------------------------------------------------------ services

    @cached_property
    def org_secrets(self) -> OrganisationSecrets:
        from functions.adapters.secrets import SecretsManagerStore
        from functions.organisations.secrets import OrganisationSecrets

        return OrganisationSecrets(SecretsManagerStore(), self.settings.secrets_prefix)

    @cached_property
    def organisation_admin(self) -> OrganisationService:
        from functions.api.auth import hash_key, new_key
        from functions.organisations.service import OrganisationService

        return OrganisationService(
            self.organisations, self.api_keys, new_key, hash_key, self.org_secrets
        )

    @cached_property
    def tenant_links(self) -> TenantLinks:
        from concurrent.futures import ThreadPoolExecutor

        from functions.organisations.tenant_links import TenantLinks

        # A first opening reads the lease's record while its lines are read: one thread
        # per request in flight at most (an API Lambda instance serves one at a time).
        return TenantLinks(
            orgs=self.organisations,
            leases=self.leases,
            ledger=self.ledger,
            secrets=self.org_secrets,
            portal_base_url=self.settings.portal_base_url,
            trust_seconds=self.settings.api_key_cache_seconds,
            reads=ThreadPoolExecutor(thread_name_prefix="tenant-reads"),
        )

    @cached_property
    def lease_service(self) -> LeaseService:
        from functions.leases.service import LeaseService

        return LeaseService(
            self.organisations, self.leases, self.ledger_writer, history=self.ledger
        )

    @cached_property
    def zip_limits(self) -> ZipLimits:
        from functions.ingest.parsers import ZipLimits

        s = self.settings
        given = {"members": s.zip_max_members, "total_bytes": s.zip_max_bytes}
        given["ratio"] = s.zip_max_ratio
        return ZipLimits(**{k: v for k, v in given.items() if v is not None})

    @cached_property
    def ingestor(self) -> StatementIngestor:
        from functions.adapters.storage import S3FileStore, SqsMatchQueue
        from functions.ingest.parsers import parse_bytes, stream_file
        from functions.ingest.service import StatementIngestor

        s = self.settings
        return StatementIngestor(
            orgs=self.organisations,
            files=self.files,
            transactions=self.transactions,
            store=S3FileStore(s.inbox_bucket, s.quarantine_bucket, s.archive_bucket),
            queue=SqsMatchQueue(s.match_queue_url),
            parse=partial(parse_bytes, limits=self.zip_limits),
            stream=partial(stream_file, limits=self.zip_limits),
        )

    @cached_property
    def matcher(self) -> PaymentMatcher:
        from functions.match.service import PaymentMatcher

        return PaymentMatcher(
            orgs=self.organisations,
            leases=self.leases,
            transactions=self.transactions,
            booker=self.booker,
            ledger=self.ledger,
            on_booked=self.notice_queue.send_quittance_checks,
        )

    @cached_property
    def review(self) -> ReviewService:
        from functions.match.review import ReviewService

        return ReviewService(
            orgs=self.organisations,
            leases=self.leases,
            records=self.transaction_records,
            booker=self.booker,
        )

    @cached_property
    def sweeper(self) -> Sweeper:
        from datetime import UTC, datetime

        from functions.adapters.recovery import DynamoWaitingTransactions, S3Inbox, SqsIngestQueue
        from functions.adapters.storage import SqsMatchQueue
        from functions.core.sweep import Sweeper

        s = self.settings
        return Sweeper(
            orgs=self.organisations,
            transactions=DynamoWaitingTransactions(s.transactions_table),
            inbox=S3Inbox(s.inbox_bucket),
            match_queue=SqsMatchQueue(s.match_queue_url),
            ingest_queue=SqsIngestQueue(s.ingest_queue_url, s.inbox_bucket),
            clock=lambda: datetime.now(UTC),
        )

    @cached_property
    def redriver(self) -> SqsRedriver:
        from functions.adapters.recovery import SqsRedriver

        s = self.settings
        return SqsRedriver({"ingest": s.ingest_queue_url, "match": s.match_queue_url})

    @cached_property
    def books_reader(self) -> DynamoBooksReader:
        from functions.adapters.books import DynamoBooksReader

        s = self.settings
        return DynamoBooksReader(
            s.leases_table, s.ledger_table, s.transactions_table, s.entries_table
        )

    @cached_property
    def erp_push(self) -> ErpPushService:
        from functions.adapters.storage import S3BatchStore
        from functions.erp.service import ErpPushService
        from functions.organisations.secrets import SecretKind

        secrets = self.org_secrets
        return ErpPushService(
            orgs=self.organisations,
            entries=self.entries,
            batches=S3BatchStore(self.settings.archive_bucket),
            webhook_keys=lambda org: secrets.accepted_values(org, SecretKind.ERP_WEBHOOK),
            leases=self.leases,
        )

    @cached_property
    def entry_exports(self) -> EntryExports:
        from functions.erp.exports import EntryExports

        return EntryExports(self.organisations, self.entries, self.leases)

    @cached_property
    def documents(self) -> DocumentService:
        from functions.documents.notify import DepositNotifier, portal_secret_from
        from functions.documents.service import DocumentService

        return DocumentService(
            orgs=self.organisations,
            leases=self.leases,
            ledger=self.ledger,
            manifests=self.document_manifests,
            store=self.document_store,
            notifier=DepositNotifier(
                self.mailer,
                self.sms,
                self.settings.portal_base_url,
                portal_secret_from(self.org_secrets),
            ),
        )

    @cached_property
    def consent_campaign(self) -> ConsentCampaign:
        from functions.documents.campaign import ConsentCampaign
        from functions.organisations.secrets import SecretKind

        secrets = self.org_secrets
        return ConsentCampaign(
            orgs=self.organisations,
            leases=self.leases,
            store=self.document_manifests,
            mailer=self.mailer,
            sms=self.sms,
            portal_base_url=self.settings.portal_base_url,
            signing_secret=lambda org: secrets.signing_value(org, SecretKind.PORTAL),
            accepted_secrets=lambda org: secrets.accepted_values(org, SecretKind.PORTAL),
        )

    @cached_property
    def dunning(self) -> DunningService:
        from functions.adapters.workflows import StepFunctionsWorkflows
        from functions.notify.letters import render_letter_pdf
        from functions.notify.service import dunning_service

        s = self.settings
        return dunning_service(
            orgs=self.organisations,
            leases=self.leases,
            ledger=self.ledger,
            cases=self.dunning_cases,
            workflows=StepFunctionsWorkflows(s.dunning_state_machine_arn),
            mailer=self.mailer,
            sms=self.sms,
            documents=self.document_store,
            render_letter=render_letter_pdf,
            portal_base_url=s.portal_base_url,
        )

    @cached_property
    def print_run(self) -> PrintRunService:
        from functions.adapters.documents import BucketPrintProvider
        from functions.documents.print_run import PrintRunService

        return PrintRunService(
            orgs=self.organisations,
            leases=self.leases,
            manifests=self.document_manifests,
            pdfs=self.document_store,
            provider=BucketPrintProvider(self.settings.print_bucket),
        )


# The builders callers used before the root (tests, the local CLI): one service each.


def build_ingestor(settings: Settings) -> StatementIngestor:
    return Composition(settings).ingestor


def build_matcher(settings: Settings) -> PaymentMatcher:
    return Composition(settings).matcher


def build_sweeper(settings: Settings) -> Sweeper:
    return Composition(settings).sweeper


def build_redriver(settings: Settings) -> SqsRedriver:
    return Composition(settings).redriver


def build_books_reader(settings: Settings) -> DynamoBooksReader:
    return Composition(settings).books_reader


def build_org_secrets(settings: Settings) -> OrganisationSecrets:
    return Composition(settings).org_secrets
