"""The API's listings of leases and statement files, one typed page at a time."""

from __future__ import annotations

from functions.adapters.dynamo.files import DynamoFileRepository
from functions.adapters.dynamo.leases import DynamoLeaseRepository
from functions.core.lease import Lease
from functions.core.records import FileRecord, Page


class DynamoListings:
    """Pages of leases and statement files; cursors are refused (``ValidationError``)
    by a listing that did not hand them out."""

    def __init__(self, leases: DynamoLeaseRepository, files: DynamoFileRepository) -> None:
        self._leases = leases
        self._files = files

    def leases(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page[Lease]:
        return self._leases.list(org_id, limit, cursor)

    def files(self, org_id: str, limit: int = 100, cursor: str | None = None) -> Page[FileRecord]:
        return self._files.list(org_id, limit, cursor)
