"""Tenant links: the signed portal links a landlord hands to a lease's tenants, and
what such a link opens (docs/architecture.md, "Tenant links").

A link is ``<portal>/#t=<token>``; the token (``functions.core.tenant_access``) names the
organisation and the lease, expires, and is signed with the organisation's portal secret
(any of its accepted values after a rotation).

Opening a link reads the organisation (its secret's reference, and what the tenant's page
shows of it) and the lease's own record (its tenants, address, dues) once per
``trust_seconds`` at most in a process, as the API trusts an API key it has read: the
tenant's page then costs one read, the lease's lines, which are always read and give the
balance (the sum of the lines, written with the lease's balance in one transaction); when
the record is not held, it is read at the same time as the lines (``reads``). A
change to the organisation or to the lease's record shows within that time; a token the
held organisation does not verify reads it again at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from functions.core.errors import AuthenticationError, ConflictError, NotFoundError
from functions.core.lease import Lease
from functions.core.ledger import LedgerLine
from functions.core.organisation import Organisation
from functions.core.tenant_access import TenantGrant, issue_token, token_org, verify_token
from functions.core.trust_cache import TrustCache
from functions.organisations.secrets import SecretKind

TENANT_LINK_DAYS = 45


class Organisations(Protocol):
    def get(self, org_id: str) -> Organisation: ...


class Leases(Protocol):
    def get(self, org_id: str, lease_id: str) -> Lease: ...


class Ledger(Protocol):
    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]: ...


class PortalSecrets(Protocol):
    def signing_value(self, org: Organisation, kind: SecretKind) -> str: ...

    def accepted_values(self, org: Organisation, kind: SecretKind) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class TenantLink:
    url: str
    token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class TenantView:
    """What a tenant link opens: the lease and its account (the balance is the sum of
    ``lines``; ``lease.balance_cents`` may be older)."""

    org: Organisation
    lease: Lease
    lines: list[LedgerLine]


@dataclass
class TenantLinks:
    orgs: Organisations
    leases: Leases
    ledger: Ledger
    secrets: PortalSecrets
    portal_base_url: str
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    trust_seconds: float = 0.0
    """How long an organisation read to open a link is trusted (0: read every time)."""
    monotonic: Callable[[], float] = time.monotonic
    max_orgs: int = 1024
    max_leases: int = 4096
    reads: Executor | None = None
    """Where the lease's record is read while its lines are, when it is not held (None:
    one after the other): the page then waits for one read, not two in a row."""
    _held: TrustCache[str, Organisation] = field(init=False, repr=False, compare=False)
    _leases: TrustCache[tuple[str, str], Lease] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._held = TrustCache(self.trust_seconds, self.monotonic, self.max_orgs)
        self._leases = TrustCache(self.trust_seconds, self.monotonic, self.max_leases)

    def issue(self, org_id: str, lease_id: str) -> TenantLink:
        """A link for the lease's tenants, valid ``TENANT_LINK_DAYS`` days.

        Raises ``NotFoundError`` for an unknown lease, ``ConflictError`` when the
        organisation has no portal secret (tenant links disabled)."""
        lease = self.leases.get(org_id, lease_id)
        org = self.orgs.get(org_id)
        if not org.portal_secret_arn:
            raise ConflictError("the organisation has no portal secret: tenant links are disabled")
        secret = self.secrets.signing_value(org, SecretKind.PORTAL)
        expires = self.clock() + timedelta(days=TENANT_LINK_DAYS)
        token = issue_token(secret, TenantGrant(org.org_id, lease.lease_id, expires))
        return TenantLink(f"{self.portal_base_url.rstrip('/')}/#t={token}", token, expires)

    def grant(self, token: str) -> TenantGrant:
        """The lease a token opens; ``AuthenticationError`` if it is not valid (any more)."""
        return self._verify(token)[1]

    def open(self, token: str) -> TenantView:
        """The lease and account a tenant's token opens: the lease's record as read at
        most ``trust_seconds`` ago (its balance may be older: the lines' sum is not), its
        lines as they are now."""
        org, grant = self._verify(token)
        key = (grant.org_id, grant.lease_id)
        lease = self._leases.get(key)
        if lease is not None:
            return TenantView(org, lease, self.ledger.lines(*key))
        read_at = self.monotonic()
        if self.reads is None:
            lease = self.leases.get(*key)
            lines = self.ledger.lines(*key)
        else:
            record = self.reads.submit(self.leases.get, *key)
            lines = self.ledger.lines(*key)
            lease = record.result()  # NotFoundError for an unknown lease, as above
        self._leases.put(key, lease, read_at)
        return TenantView(org, lease, lines)

    def _verify(self, token: str) -> tuple[Organisation, TenantGrant]:
        org_id = token_org(token)
        held = self._held.get(org_id)
        if held is not None:
            try:
                return held, self._grant(held, token)
            except AuthenticationError:  # its secret's reference may have changed
                self._held.forget(org_id)
        try:
            org = self.orgs.get(org_id)
        except NotFoundError as e:
            raise AuthenticationError("this link is not valid") from e
        grant = self._grant(org, token)
        self._held.put(org_id, org)
        return org, grant

    def _grant(self, org: Organisation, token: str) -> TenantGrant:
        accepted = self.secrets.accepted_values(org, SecretKind.PORTAL)
        return verify_token(accepted, token, self.clock())
