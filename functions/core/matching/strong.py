"""Strong identifiers: each alone is enough to allocate a payment to a lease.

The lease's virtual IBAN (the account the money was sent to), its RF creditor
reference (check digits verified), structured or typed in the free text, and the
SEPA mandate (RUM) of a direct-debit collection.
"""

from __future__ import annotations

import re

from functions.core.allocation import Allocation
from functions.core.lease import Lease
from functions.core.lease_index import LeaseIndex
from functions.core.matching.model import LeaseDirectory, MatchDecision, Method, Outcome, mask
from functions.core.names import fold
from functions.core.rf import is_valid_rf, normalize_rf
from functions.core.transactions import BankTransaction


def by_viban(tx: BankTransaction, leases: LeaseDirectory) -> MatchDecision | None:
    """Paid to a lease's vIBAN: the creditor account, or the account a camt.054 notifies."""
    for account in (tx.creditor_account_iban, tx.account_iban):
        if account:
            lease = leases.by_viban(tx.org_id, account)
            if lease is not None:
                return allocate(
                    tx, lease, Method.VIBAN, f"paid to the lease's vIBAN {mask(lease.viban)}"
                )
    return None


def by_structured_rf(tx: BankTransaction, leases: LeaseDirectory) -> MatchDecision | None:
    """The RF reference in the structured remittance field."""
    if not (tx.structured_reference and is_valid_rf(tx.structured_reference)):
        return None
    lease = leases.by_rf(tx.org_id, normalize_rf(tx.structured_reference))
    if lease is None:
        return None
    return allocate(
        tx, lease, Method.RF_REFERENCE, f"RF reference {lease.rf_reference} of the lease"
    )


_RF_IN_TEXT = re.compile(r"RF\s?(\d\s?\d)((?:\s?[A-Z0-9]){1,21})")


def rf_in_text(text: str, index: LeaseIndex) -> Lease | None:
    """An RF reference typed into the free text ("RF18 5390 0754 7034"), checked."""
    folded = fold(text)
    for m in _RF_IN_TEXT.finditer(folded):
        head = "RF" + m.group(1).replace(" ", "")
        body = m.group(2).replace(" ", "")
        for end in range(len(body), 0, -1):
            candidate = head + body[:end]
            if is_valid_rf(candidate):
                lease = index.by_rf(index.org_id, candidate)
                if lease is not None:
                    return lease
    return None


def by_typed_rf(tx: BankTransaction, index: LeaseIndex) -> MatchDecision | None:
    """The RF reference typed into the remittance text."""
    lease = rf_in_text(tx.remittance, index) if tx.remittance else None
    if lease is None:
        return None
    return allocate(
        tx,
        lease,
        Method.RF_REFERENCE,
        f"RF reference {lease.rf_reference} of the lease in the remittance text",
    )


def by_mandate(tx: BankTransaction, index: LeaseIndex) -> MatchDecision | None:
    """A direct-debit collection under the lease's mandate (RUM)."""
    lease = index.by_mandate(tx.mandate_id) if tx.mandate_id else None
    if lease is None:
        return None
    return allocate(
        tx, lease, Method.MANDATE, f"direct-debit mandate {lease.mandate_id} of the lease"
    )


def strong(
    tx: BankTransaction, leases: LeaseDirectory, index: LeaseIndex | None
) -> MatchDecision | None:
    """The first strong identifier the transaction carries, in order of strength."""
    found = by_viban(tx, leases) or by_structured_rf(tx, leases)
    if found is not None or index is None:
        return found
    return by_typed_rf(tx, index) or by_mandate(tx, index)


def allocate(tx: BankTransaction, lease: Lease, method: Method, evidence: str) -> MatchDecision:
    return MatchDecision(
        Outcome.ALLOCATED,
        allocations=(Allocation(lease.lease_id, tx.amount_cents),),
        method=method,
        score=1.0,
        evidence=(evidence,),
    )
