"""Why a direct debit came back: the bank's return reason, kept for dunning."""

from __future__ import annotations

from dataclasses import dataclass

from functions.core.transactions import BankTransaction

# ISO 20022 external return reason codes seen on SEPA direct-debit returns, with
# what dunning should do about them: an empty account is not a disputed debit.
REJECT_REASONS: dict[str, tuple[str, str]] = {
    "AM04": ("insufficient funds", "insufficient_funds"),
    "AM05": ("duplicate collection", "technical"),
    "MS02": ("refused by the debtor", "disputed"),
    "MS03": ("reason not specified by the bank", "unspecified"),
    "MD06": ("refund requested by the debtor", "disputed"),
    "MD07": ("debtor deceased", "account"),
    "MD01": ("no valid mandate", "mandate"),
    "MD02": ("mandate data missing or wrong", "mandate"),
    "AC01": ("account identifier incorrect", "account"),
    "AC04": ("account closed", "account"),
    "AC06": ("account blocked", "account"),
    "AC13": ("debtor account is a consumer account", "account"),
    "AG01": ("transaction forbidden on this account", "account"),
    "AG02": ("invalid bank operation code", "technical"),
    "BE05": ("creditor identifier unknown", "mandate"),
    "FF01": ("invalid file format", "technical"),
    "RC01": ("bank identifier incorrect", "account"),
    "RR01": ("regulatory: debtor account or identity missing", "technical"),
    "RR02": ("regulatory: debtor name or address missing", "technical"),
    "RR03": ("regulatory: creditor name or address missing", "technical"),
    "RR04": ("regulatory reason", "technical"),
    "SL01": ("specific service of the debtor's bank", "account"),
    "CNOR": ("creditor bank not registered", "technical"),
    "DNOR": ("debtor bank not registered", "technical"),
}


@dataclass(frozen=True, slots=True)
class RejectInfo:
    """Why a direct debit came back, kept for dunning."""

    reason_code: str | None
    reason_label: str
    category: str
    original_end_to_end_id: str | None
    original_transaction_id: str | None = None


def reject_info(tx: BankTransaction, original_transaction_id: str | None = None) -> RejectInfo:
    code = (tx.return_reason or "").strip().upper() or None
    label, category = REJECT_REASONS.get(code or "", ("reason not given", "unspecified"))
    if code and code not in REJECT_REASONS:
        label = f"reason {code}"
    return RejectInfo(code, label, category, tx.original_end_to_end_id, original_transaction_id)
