"""The faster choice of a QR code's data mask (``functions.api.qr``) scores and draws
exactly what segno does on its own."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import segno
from segno import encoder

from functions.api import qr
from functions.core.epc_qr import epc_payload

IBAN = "FR7630004000031234567890143"
RF = "RF18539007547034"


@pytest.fixture
def segno_alone() -> Iterator[dict[str, Callable[..., Any]]]:
    """segno's own functions, whether or not ``qr.install`` ran in this process."""
    qr.install()
    own = dict(qr._installed)
    yield own
    assert encoder.apply_mask is qr.apply_mask and encoder.mask_scores is qr.mask_scores


def _matrix(rnd: random.Random, size: int, dark: float) -> list[bytearray]:
    return [bytearray(rnd.random() < dark for _ in range(size)) for _ in range(size)]


def test_the_penalties_are_segno_s_on_random_matrices(
    segno_alone: dict[str, Callable[..., Any]],
) -> None:
    rnd = random.Random(12)
    for _ in range(400):
        size = rnd.choice((21, 25, 29, 33, 41, 45, 57, 77))
        matrix = _matrix(rnd, size, rnd.random())
        assert qr.mask_scores(matrix, size, size) == segno_alone["mask_scores"](matrix, size, size)


@pytest.mark.parametrize(
    ("line", "n3"),
    [
        ("10111010000" + "0" * 10, 40),  # at the edge
        ("0000" + "1011101" + "1" * 10, 40),  # light before
        ("1" * 5 + "1011101" + "0000" + "1" * 5, 40),  # light after
        ("1" * 5 + "1011101" + "01" * 5, 0),  # neither
        ("0000" + "1011101" + "0000" + "1011101" + "0000", 80),
        ("1011101011101" + "1" * 8, 40),  # one starting on a counted one's last module: not
    ],
)
def test_the_1_1_3_1_1_pattern_is_counted_as_segno_counts_it(
    segno_alone: dict[str, Callable[..., Any]], line: str, n3: int
) -> None:
    size = len(line)
    # the line as the first row; the other rows alternate: no "111" in any other row or
    # in any column, so no other pattern
    matrix = [bytearray(int(c) for c in line)] + [
        bytearray((i + j) % 2 for j in range(size)) for i in range(1, size)
    ]
    ours = qr.mask_scores(matrix, size, size)
    assert ours == segno_alone["mask_scores"](matrix, size, size)
    assert ours[2] == n3


def test_a_matrix_with_other_values_is_scored_by_segno(
    segno_alone: dict[str, Callable[..., Any]],
) -> None:
    matrix = _matrix(random.Random(3), 21, 0.5)
    matrix[4][7] = 0x2  # segno's "not yet placed" marker
    assert qr.mask_scores(matrix, 21, 21) == segno_alone["mask_scores"](matrix, 21, 21)


def test_the_masks_are_applied_as_segno_applies_them(
    segno_alone: dict[str, Callable[..., Any]],
) -> None:
    rnd = random.Random(5)
    region = _matrix(rnd, 29, 0.7)

    def is_encoding_region(i: int, j: int) -> bool:
        return bool(region[i][j])

    for mask in encoder.get_data_mask_functions(False):
        matrix = _matrix(rnd, 29, 0.5)
        expected = [row[:] for row in matrix]
        segno_alone["apply_mask"](expected, mask, 29, 29, is_encoding_region)
        qr._mask_rows.pop((29, 29, mask.__name__), None)  # the region of this test
        try:
            qr.apply_mask(matrix, mask, 29, 29, is_encoding_region)
        finally:
            qr._mask_rows.pop((29, 29, mask.__name__), None)
        assert matrix == expected


def test_the_qr_codes_of_payloads_are_segno_s_own(
    segno_alone: dict[str, Callable[..., Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    payloads = [
        epc_payload(
            name="Office public de l'habitat" + " de la Métropole" * (i % 4),
            iban=IBAN,
            amount_cents=None if i % 7 == 0 else 1_000 + 7_919 * i,
            rf_reference=RF,
            bic="BNPAFRPPXXX" if i % 2 else None,
        )
        for i in range(60)
    ]

    def draw(payload: str) -> tuple[int, str]:
        code = segno.make(payload, error="m", micro=False)
        return code.mask, code.svg_data_uri(scale=4, border=2)

    ours = [draw(p) for p in payloads]
    with monkeypatch.context() as m:
        m.setattr(encoder, "apply_mask", segno_alone["apply_mask"])
        m.setattr(encoder, "mask_scores", segno_alone["mask_scores"])
        theirs = [draw(p) for p in payloads]
    assert ours == theirs
    assert len({mask for mask, _ in ours}) > 3  # several masks chosen, not one by chance
