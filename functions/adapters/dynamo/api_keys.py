"""API keys (hashed) and their scopes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from functions.adapters.dynamo.base import (
    StorageError,
    StoredModel,
    bound,
    failed_condition,
    string_list,
)
from functions.core.api_keys import ApiKeyRecord
from functions.core.errors import ConflictError, NotFoundError, ValidationError


class OrgIndex(GlobalSecondaryIndex["ApiKeyModel"]):
    class Meta:
        index_name = "org-index"
        projection = AllProjection()

    org_id = UnicodeAttribute(hash_key=True)


class ApiKeyModel(StoredModel):
    """One API key (``ApiKeysTable``), listed by organisation through ``org-index``."""

    key_hash = UnicodeAttribute(hash_key=True)
    org_id = UnicodeAttribute()
    scopes = string_list()
    label = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    key_prefix = UnicodeAttribute(null=True)
    revoked_at = UnicodeAttribute(null=True)

    by_org = OrgIndex()

    def to_domain(self) -> ApiKeyRecord:
        return ApiKeyRecord(
            key_hash=self.key_hash,
            org_id=self.org_id,
            scopes=tuple(self.scopes or ()),
            label=self.label or "",
            created_at=self.created_at,
            revoked_at=self.revoked_at,
        )


class DynamoApiKeyRepository:
    def __init__(self, table: str) -> None:
        self.table = table
        self.model = bound(ApiKeyModel, table)

    def put(self, key_hash: str, org_id: str, scopes: Sequence[str], label: str) -> None:
        """Store a new key; raises ConflictError if its hash is stored already."""
        m = self.model
        key = m(
            key_hash,
            org_id=org_id,
            scopes=list(scopes),
            label=label,
            created_at=datetime.now(UTC).isoformat(),
            key_prefix=key_hash[:8],
        )
        try:
            key.save(condition=m.key_hash.does_not_exist())
        except PutError as e:
            if failed_condition(e):
                raise ConflictError("this API key exists already") from e
            raise StorageError(str(e)) from e

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        try:
            return self.model.get(key_hash).to_domain()
        except self.model.DoesNotExist:
            return None

    def list_for_org(self, org_id: str) -> list[ApiKeyRecord]:
        """The organisation's keys (revoked ones too), oldest first."""
        keys = [k.to_domain() for k in self.model.by_org.query(org_id)]
        return sorted(keys, key=lambda k: k.created_at or "")

    def find_by_id(self, key_id: str) -> ApiKeyRecord:
        """The key whose hash starts with ``key_id`` (what the API calls the key's id).

        Raises NotFoundError, or ValidationError when the id is ambiguous.
        """
        if len(key_id) < 8 or any(c not in "0123456789abcdef" for c in key_id):
            raise ValidationError("key_id", "at least 8 lower-case hexadecimal characters")
        found = [k.to_domain() for k in self.model.scan(self.model.key_hash.startswith(key_id))]
        if not found:
            raise NotFoundError("API key", key_id)
        if len(found) > 1:
            raise ValidationError("key_id", "matches several keys: give more characters")
        return found[0]

    def revoke(self, key_hash: str, at: datetime) -> bool:
        """Refuse the key from now on; False if it was revoked already."""
        m = self.model
        try:
            m(key_hash).update(
                actions=[m.revoked_at.set(at.isoformat())],
                condition=m.key_hash.exists() & m.revoked_at.does_not_exist(),
            )
        except UpdateError as e:
            if not failed_condition(e):
                raise StorageError(str(e)) from e
            return False
        return True
