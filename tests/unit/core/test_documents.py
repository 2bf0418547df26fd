"""The quittance rule, document ids and the notice's amounts (pure core)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from functions.core.documents import (
    AmountLine,
    Delivery,
    DocumentKind,
    NoticeAmounts,
    PeriodNotPaidError,
    delivery_for,
    document_id,
    euros,
    parse_consent,
    period_label,
    require_fully_paid,
    settlement,
)
from functions.core.errors import ConflictError, ValidationError
from functions.core.ledger import LedgerLine, LineKind

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _line(kind: LineKind, day: date, cents: int, label: str = "", n: int = 0) -> LedgerLine:
    return LedgerLine("o", "l", f"{day}#{kind}#{n}", kind, day, cents, label, f"s{n}", NOW)


def _call(period: str, cents: int) -> LedgerLine:
    y, m = (int(x) for x in period.split("-"))
    return _line(LineKind.RENT_CALL, date(y, m, 5), cents, f"Avis d'échéance {period}")


def _pay(day: date, cents: int, n: int = 1) -> LedgerLine:
    return _line(LineKind.PAYMENT, day, -cents, "Virement", n)


def test_a_fully_paid_period_gets_a_quittance() -> None:
    lines = [_call("2026-10", 42_380), _pay(date(2026, 10, 3), 42_380)]
    found = settlement(lines, "2026-10")
    assert found is not None and found.fully_paid
    assert found.kind is DocumentKind.QUITTANCE
    assert require_fully_paid(lines, "2026-10").paid_cents == 42_380


def test_a_partial_payment_gets_a_receipt_never_a_quittance() -> None:
    lines = [_call("2026-10", 42_380), _pay(date(2026, 10, 3), 42_379)]
    found = settlement(lines, "2026-10")
    assert found is not None and not found.fully_paid
    assert found.kind is DocumentKind.RECU
    with pytest.raises(PeriodNotPaidError) as err:
        require_fully_paid(lines, "2026-10")
    assert isinstance(err.value, ConflictError)
    assert "423,79" in str(err.value)


def test_payments_settle_the_oldest_debt_first() -> None:
    # September left 100.00 unpaid: October's payment first settles it.
    lines = [
        _call("2026-09", 42_380),
        _pay(date(2026, 9, 6), 32_380, 1),
        _call("2026-10", 42_380),
        _pay(date(2026, 10, 6), 42_380, 2),
    ]
    sep = settlement(lines, "2026-09")
    oct_ = settlement(lines, "2026-10")
    assert sep is not None and sep.fully_paid
    assert oct_ is not None and oct_.paid_cents == 32_380 and not oct_.fully_paid
    lines.append(_pay(date(2026, 10, 20), 10_000, 3))
    assert require_fully_paid(lines, "2026-10").fully_paid


def test_a_period_without_rent_call_is_refused() -> None:
    assert settlement([], "2026-10") is None
    with pytest.raises(PeriodNotPaidError, match="no rent call"):
        require_fully_paid([], "2026-10")


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "26-10", "", "2026-10-01"])
def test_period_is_checked(bad: str) -> None:
    with pytest.raises(ValidationError, match="period"):
        settlement([], bad)


def test_document_id_is_deterministic_and_url_safe() -> None:
    a = document_id("org", "L/1", DocumentKind.AVIS_ECHEANCE, "rc-2026-12")
    assert a == document_id("org", "L/1", DocumentKind.AVIS_ECHEANCE, "rc-2026-12")
    assert a != document_id("org", "L/2", DocumentKind.AVIS_ECHEANCE, "rc-2026-12")
    assert a != document_id("org2", "L/1", DocumentKind.AVIS_ECHEANCE, "rc-2026-12")
    assert a.startswith("ae-rc202612-")
    assert all(c.isalnum() or c == "-" for c in a)


def test_notice_amounts_deduct_aid_and_carry_the_balance() -> None:
    amounts = NoticeAmounts(
        (AmountLine("Loyer", 48_250), AmountLine("Charges", 9_130)), 15_000, 2_000
    )
    assert amounts.period_total_cents == 42_380
    assert amounts.amount_due_cents == 44_380
    assert NoticeAmounts((AmountLine("Loyer", 100),), 0, -500).amount_due_cents == 0
    with pytest.raises(ValidationError):
        AmountLine("Loyer", 1.5)  # type: ignore[arg-type]


def test_french_formats() -> None:
    assert euros(123_456) == "1\u202f234,56\u00a0€"
    assert euros(-15_000) == "-150,00\u00a0€"
    assert period_label("2026-08") == "août 2026"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        ({}, "e_delivery"),
        ({"e_delivery": 1}, "e_delivery"),
        ({"e_delivery": True, "source": ["portal"]}, "source"),
        ({"e_delivery": True, "source": "fax"}, "source"),
        ({"e_delivery": True, "channel": {"x": 1}}, "channel"),
    ],
)
def test_consent_input_is_checked(body: object, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_consent(body, NOW)
    assert err.value.field == field


def test_delivery_follows_consent_then_the_erp_flag() -> None:
    given = parse_consent({"e_delivery": True, "source": "portal", "channel": "sms"}, NOW)
    withdrawn = parse_consent({"e_delivery": False}, NOW)
    assert delivery_for(given, erp_flag=False) is Delivery.SAFE
    assert delivery_for(withdrawn, erp_flag=True) is Delivery.PRINT
    assert delivery_for(None, erp_flag=True) is Delivery.SAFE
    assert delivery_for(None, erp_flag=False) is Delivery.PRINT
