"""Creating and configuring organisations (landlords), and their first API key.

Only an operator of the platform does this (scope ``operator``): the landlord's
own keys never see another organisation, nor change their own bank range.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Protocol

from functions.core.errors import ConflictError, NotFoundError, ValidationError
from functions.core.organisation import Organisation
from functions.organisations.secrets import OrganisationSecrets

OPERATOR_ORG = "_platform"
"""The ``org_id`` of operator keys: not a valid organisation id (those start with a
letter or digit), so an operator key never reads an organisation's data as its own."""
ORG_KEY_SCOPES = ("erp", "backoffice")


class OrganisationStore(Protocol):
    def get(self, org_id: str) -> Organisation: ...
    def put_new(self, org: Organisation) -> None: ...
    def put(self, org: Organisation) -> None: ...


class ApiKeyStore(Protocol):
    def put(self, key_hash: str, org_id: str, scopes: Sequence[str], label: str) -> None: ...


@dataclass(frozen=True, slots=True)
class IssuedKey:
    key: str
    key_id: str
    scopes: tuple[str, ...]


@dataclass
class OrganisationService:
    orgs: OrganisationStore
    keys: ApiKeyStore
    new_key: Callable[[], str]
    hash_key: Callable[[str], str]
    secrets: OrganisationSecrets
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def create(self, org: Organisation) -> tuple[Organisation, IssuedKey]:
        """Store a new organisation with fresh secrets, and issue its first API key.

        ConflictError if the id is taken. The key is returned once: only its hash is kept.
        """
        if org.org_id == OPERATOR_ORG:
            raise ValidationError("org_id", "is reserved")
        try:  # checked before the secrets are made: never touch another org's
            self.orgs.get(org.org_id)
        except NotFoundError:
            pass
        else:
            raise ConflictError(f"organisation {org.org_id!r} exists already")
        stored = self.secrets.provision(
            replace(org, portal_secret_arn=None, erp_webhook_secret_arn=None)
        )
        self.orgs.put_new(stored)
        return stored, self.issue_key(stored.org_id, ORG_KEY_SCOPES, "first key")

    def update(self, org: Organisation) -> Organisation:
        """Store changed settings; secrets and the vIBAN counter stay as they are."""
        current = self.orgs.get(org.org_id)
        if org.viban_range != current.viban_range and _range_moved(current, org):
            raise ConflictError(
                "the vIBAN range cannot change once leases may hold its numbers; "
                "only its BIC may be corrected"
            )
        stored = replace(
            org,
            portal_secret_arn=current.portal_secret_arn,
            erp_webhook_secret_arn=current.erp_webhook_secret_arn,
        )
        self.orgs.put(stored)
        return stored

    def issue_key(self, org_id: str, scopes: Sequence[str], label: str) -> IssuedKey:
        key = self.new_key()
        digest = self.hash_key(key)
        self.keys.put(digest, org_id, list(scopes), label)
        return IssuedKey(key, digest[:12], tuple(scopes))


def _range_moved(current: Organisation, new: Organisation) -> bool:
    """True unless only the BIC of the range changed (every issued vIBAN stays valid)."""
    a, b = current.viban_range, new.viban_range
    return (a.bank_code, a.branch_code, a.account_prefix) != (
        b.bank_code,
        b.branch_code,
        b.account_prefix,
    )
