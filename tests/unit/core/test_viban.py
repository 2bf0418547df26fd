from __future__ import annotations

import pytest
from schwifty import IBAN

from functions.core.errors import InvalidIbanError, VirtualIbanRangeExhaustedError
from functions.core.viban import Rib, VirtualIbanRange, cle_rib, format_iban, normalize_iban


def test_cle_rib_of_a_published_rib() -> None:
    # Banque de France's example RIB: 30004 00500 00012345678 key 14
    assert cle_rib("30004", "00500", "00012345678") == "14"


def test_cle_rib_reads_letters_in_account_numbers() -> None:
    # letters count as digits (A/J→1 … S→2 …): "ABC" is "123"
    assert cle_rib("20041", "01005", "0500013M026") == cle_rib("20041", "01005", "05000134026")


def test_vibans_are_valid_french_ibans_checked_by_schwifty() -> None:
    rng = VirtualIbanRange("30004", "00821", "57")
    seen = set()
    for n in (0, 1, 2, 99, 123_456, rng.capacity - 1):
        iban = rng.iban_for(n)
        parsed = IBAN(iban)  # raises on a wrong clé RIB or check digits
        assert parsed.country_code == "FR"
        assert parsed.bank_code == "30004"
        assert parsed.branch_code == "00821"
        assert parsed.account_code.startswith("57")
        assert rng.contains(iban)
        seen.add(iban)
    assert len(seen) == 6


def test_range_capacity_and_exhaustion() -> None:
    rng = VirtualIbanRange("30004", "00821", "5700000000")
    assert rng.capacity == 10
    rng.iban_for(9)
    with pytest.raises(VirtualIbanRangeExhaustedError):
        rng.iban_for(10)


@pytest.mark.parametrize(
    ("bank", "branch", "prefix", "field"),
    [
        ("3000", "00821", "57", "bank_code"),
        ("30004", "0082A", "57", "branch_code"),
        ("30004", "00821", "", "account_prefix"),
        ("30004", "00821", "12345678901", "account_prefix"),
    ],
)
def test_bad_range_names_the_field(bank: str, branch: str, prefix: str, field: str) -> None:
    with pytest.raises(InvalidIbanError) as e:
        VirtualIbanRange(bank, branch, prefix)
    assert e.value.field == field


def test_normalize_and_format() -> None:
    iban = VirtualIbanRange("30004", "00821", "57").iban_for(42)
    spaced = format_iban(iban).lower()
    assert normalize_iban(spaced) == iban
    with pytest.raises(InvalidIbanError):
        normalize_iban(iban[:-1] + ("0" if iban[-1] != "0" else "1"))


def test_rib_from_iban() -> None:
    rib = Rib.from_iban("FR76 3000 4005 0000 0123 4567 814")
    assert (rib.bank_code, rib.branch_code, rib.account_number, rib.key) == (
        "30004",
        "00500",
        "00012345678",
        "14",
    )
