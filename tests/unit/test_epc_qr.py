from __future__ import annotations

import pytest

from functions.core.epc_qr import MAX_PAYLOAD_BYTES, epc_payload
from functions.core.errors import InvalidIbanError, InvalidReferenceError, ValidationError
from functions.core.rf import make_rf
from functions.core.viban import VirtualIbanRange

IBAN = VirtualIbanRange("30004", "00821", "57").iban_for(42)
RF = make_rf(IBAN[4:25])


def test_payload_follows_epc069_12_version_2() -> None:
    payload = epc_payload(
        name="Habitat Rhône Social",
        iban=IBAN,
        amount_cents=123456,
        rf_reference=RF,
        bic="bnpafrpp",
    )
    assert payload.split("\n") == [
        "BCD",
        "002",
        "1",
        "SCT",
        "BNPAFRPP",
        "Habitat Rhône Social",
        IBAN,
        "EUR1234.56",
        "RENT",
        RF,
    ]
    assert not payload.endswith("\n")


def test_optional_fields_keep_their_lines() -> None:
    payload = epc_payload(
        name="OPH",
        iban=IBAN.lower(),
        amount_cents=None,
        rf_reference=RF.lower(),
        note="Loyer de mars",
    )
    lines = payload.split("\n")
    assert lines[4] == ""  # no BIC: allowed in version 002
    assert lines[6] == IBAN
    assert lines[7] == ""  # the payer types the amount
    assert lines[9] == RF
    assert lines[10] == ""  # no unstructured remittance next to the RF reference
    assert lines[11] == "Loyer de mars"


@pytest.mark.parametrize("cents", [0, -100, 100_000_000_000, True])
def test_refuses_amounts_outside_the_standard(cents: int) -> None:
    with pytest.raises(ValidationError):
        epc_payload(name="OPH", iban=IBAN, amount_cents=cents, rf_reference=RF)


def test_smallest_amount_and_truncated_name() -> None:
    payload = epc_payload(name="X" * 90, iban=IBAN, amount_cents=1, rf_reference=RF)
    lines = payload.split("\n")
    assert lines[5] == "X" * 70
    assert lines[7] == "EUR0.01"
    assert len(payload.encode()) <= MAX_PAYLOAD_BYTES


def test_refuses_what_a_bank_app_would_reject() -> None:
    with pytest.raises(InvalidIbanError):
        epc_payload(
            name="OPH", iban="FR7630004000000000000000000", amount_cents=100, rf_reference=RF
        )
    with pytest.raises(InvalidReferenceError):
        epc_payload(name="OPH", iban=IBAN, amount_cents=100, rf_reference="RF00ABC")
    with pytest.raises(ValidationError):
        epc_payload(name="OPH", iban=IBAN, amount_cents=100, rf_reference=RF, bic="BNP")
    with pytest.raises(ValidationError):
        epc_payload(name="  ", iban=IBAN, amount_cents=100, rf_reference=RF)
    with pytest.raises(ValidationError):
        epc_payload(name="OPH", iban=IBAN, amount_cents=100, rf_reference=RF, note="n" * 71)


def test_segno_encodes_it_within_version_13_level_m() -> None:
    import segno

    payload = epc_payload(
        name="Office public de l'habitat de la Métropole",
        iban=IBAN,
        amount_cents=99_999_999_999,
        rf_reference=RF,
        bic="BNPAFRPPXXX",
        note="Loyer et charges",
    )
    qr = segno.make(payload, error="m", micro=False, encoding="utf-8", boost_error=False)
    assert qr.error == "M"
    assert int(qr.version) <= 13
