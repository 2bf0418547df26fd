"""QR codes drawn by segno, its choice of data mask made faster, the code unchanged.

A QR code's data mask is the one of eight with the lowest penalty (ISO/IEC 18004, 7.8.3):
segno applies each mask and scores each result module by module in Python. For an EPC
payload (version 6-9) that was 8.3-9.0 ms of the 10.0-13.1 ms of CPU a tenant page's QR
code cost, on the API's interpreter lock; here 3.6-4.4 of 4.4-5.9 ms (200 payloads,
interleaved, CPU time). Each mask is applied a row at a time (its bits over the encoding
region computed once per symbol size and mask); the penalties N1-N4 are counted on whole
lines (runs and 2x2 blocks on rows and columns as integers, the 1:1:3:1:1 pattern by a
C-level search, dark modules by counts): the same scores, so the same mask and the same
symbol (``tests/unit/test_qr.py`` compares the scores on random matrices and the SVGs of
real payloads with segno's own).

:func:`install` puts both into ``segno.encoder`` (what ``segno.make`` calls); a matrix
holding anything but 0 and 1 is scored by segno's own function.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from itertools import chain, pairwise
from typing import Any

_APART = b"\x02"  # between two lines joined: no run nor pattern goes across
_FINDER_LIKE = b"\x01\x00\x01\x01\x01\x00\x01"  # dark:light:dark:light:dark = 1:1:3:1:1
_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_LOCK = threading.Lock()
_installed: dict[str, Any] = {}
_mask_rows: dict[tuple[int, int, str], tuple[int, ...]] = {}

Matrix = Sequence[bytearray]


def install() -> None:
    """Makes ``segno.encoder`` apply and score masks here (once per process)."""
    with _LOCK:
        if _installed:
            return
        from segno import encoder

        _installed["apply_mask"] = encoder.apply_mask
        _installed["mask_scores"] = encoder.mask_scores
        encoder.apply_mask = apply_mask
        encoder.mask_scores = mask_scores


def apply_mask(
    matrix: Matrix,
    mask_pattern: Callable[[int, int], bool],
    width: int,
    height: int,
    is_encoding_region: Callable[[int, int], bool],
) -> None:
    """``segno.encoder.apply_mask``: XORs the mask onto the encoding region, row by row.

    The region depends on the symbol's size only (segno builds it from the width and
    height), and segno's eight mask functions keep their names: the rows of bits are
    kept per size and name."""
    key = (width, height, mask_pattern.__name__)
    rows = _mask_rows.get(key)
    if rows is None:
        rows = tuple(
            int.from_bytes(
                bytes(
                    1 if is_encoding_region(i, j) and mask_pattern(i, j) else 0
                    for j in range(width)
                ),
                "big",
            )
            for i in range(height)
        )
        _mask_rows[key] = rows
    for row, bits in zip(matrix, rows, strict=True):
        if bits:
            row[:] = (int.from_bytes(row, "big") ^ bits).to_bytes(width, "big")


def mask_scores(matrix: Matrix, width: int, height: int) -> tuple[int, int, int, int]:
    """``segno.encoder.mask_scores``: the penalties (N1, N2, N3, N4) of a square matrix."""
    rows = [bytes(row) for row in matrix]
    if width != height or any(row.translate(None, b"\x00\x01") for row in rows):
        original: Callable[[Matrix, int, int], tuple[int, int, int, int]]
        original = _installed.get("mask_scores") or _segno_mask_scores()
        return original(matrix, width, height)
    size = width
    columns = [bytes(column) for column in zip(*rows, strict=True)]
    lines = _APART.join(chain(rows, columns))
    # Each line as an integer, its first module the highest bit.
    bits = [int(line, 2) for line in lines.translate(_AS_DIGITS).split(_APART)]
    inner = (1 << (size - 1)) - 1  # a module and its left neighbour
    # N1: each run of 5 + i modules of one colour in a row or column, 3 + i: with ``same``
    # a bit for each module like the next, a run of 5 + i is a run of 4 + i such bits,
    # holding 1 + i windows of 4 (``four``) and one top window.
    n1 = 0
    for line in bits:
        same = ~(line ^ (line >> 1)) & inner
        four = same & (same >> 1) & (same >> 2) & (same >> 3)
        if four:
            n1 += four.bit_count() + 2 * (four & ~(four >> 1)).bit_count()
    # N2: each 2x2 block of one colour, 3 (blocks overlap).
    bits = bits[:size]  # the rows
    blocks = 0
    for upper, lower in pairwise(bits):
        same = ~(upper ^ lower) & ~(upper ^ (upper >> 1)) & ~(lower ^ (lower >> 1)) & inner
        blocks += same.bit_count()
    # N3: each 1:1:3:1:1 pattern with 4 light modules before or after it, 40.
    n3 = _finder_like_penalty(lines, size)
    # N4: 10 for each 5 % of dark modules away from half.
    percent = float(sum(row.count(1) for row in rows)) / (size**2)
    n4 = 10 * int(abs(percent * 100 - 50) / 5)
    return n1, 3 * blocks, n3, n4


def _finder_like_penalty(lines: bytes, size: int) -> int:
    """40 for each 1:1:3:1:1 pattern at an edge of its line or beside 4 light modules of
    it, in ``lines`` (each ``size`` modules, joined by ``_APART``), searched left to right
    as segno does: past a counted pattern, from its end; past another, from its fifth
    module (the next pattern may start on its dark triple's end)."""
    score = 0
    at = lines.find(_FINDER_LIKE)
    while at != -1:
        start = at - at % (size + 1)  # of its line
        column, end = at - start, at + 7
        light_before = not any(lines[max(at - 4, start) : at])
        light_after = not any(lines[end : min(end + 4, start + size)])
        if column in (0, size - 7) or light_before or light_after:
            score += 40
            at = lines.find(_FINDER_LIKE, end)
        else:
            at = lines.find(_FINDER_LIKE, at + 4)
    return score


def _segno_mask_scores() -> Callable[[Matrix, int, int], tuple[int, int, int, int]]:
    from segno import encoder

    scores: Callable[[Matrix, int, int], tuple[int, int, int, int]] = encoder.mask_scores
    return scores
