from __future__ import annotations

import pytest

from functions.core.errors import InvalidReferenceError
from functions.core.lease import rf_reference_for_viban
from functions.core.rf import format_rf, is_valid_rf, make_rf, normalize_rf
from functions.core.viban import VirtualIbanRange


def test_iso_11649_example() -> None:
    assert make_rf("539007547034") == "RF18539007547034"
    assert normalize_rf("rf18 5390 0754 7034") == "RF18539007547034"
    assert format_rf("RF18539007547034") == "RF18 5390 0754 7034"


@pytest.mark.parametrize(
    "bad", ["RF19539007547034", "RF18", "XX18539007547034", "RF1853900754703$", ""]
)
def test_invalid_references(bad: str) -> None:
    assert not is_valid_rf(bad)
    with pytest.raises(InvalidReferenceError):
        normalize_rf(bad)


def test_every_single_character_typo_is_caught() -> None:
    ref = make_rf("3000400821570000042")
    for i in range(4, len(ref)):
        for c in "0123456789":
            if c != ref[i]:
                assert not is_valid_rf(ref[:i] + c + ref[i + 1 :])


def test_lease_reference_derives_from_its_viban() -> None:
    rng = VirtualIbanRange("30004", "00821", "57")
    a, b = rng.iban_for(1), rng.iban_for(2)
    assert rf_reference_for_viban(a) != rf_reference_for_viban(b)
    assert is_valid_rf(rf_reference_for_viban(a))
    assert len(rf_reference_for_viban(a)) == 25
