"""Random DynamoDB attribute values (DynamoDB JSON) for the emulator's equivalence tests:
every attribute type, nested maps and lists, strings that JSON must escape."""

from __future__ import annotations

import base64
import random
from typing import Any

STRINGS = ("", "loyer", "Émilie Dupré", "a" * 50, '#:,."()\\', "€ 12")
NUMBERS = ("0", "-12", "123456789012", "3.14", "1E+3", "56000")


def random_value(rng: random.Random, depth: int = 0, binaries: float = 1.0) -> dict[str, Any]:
    """One value of any type, nested up to three levels. The binary types (B, BS) are
    offered in a ``binaries`` share of the draws (at every level)."""
    kinds = ["S", "S", "N", "N", "BOOL", "NULL", "SS", "NS"]
    kinds += ["B", "BS"] if rng.random() < binaries else []
    kinds += ["L", "M"] if depth < 3 else []
    kind = rng.choice(kinds)
    if kind == "S":
        return {"S": rng.choice(STRINGS)}
    if kind == "N":
        return {"N": rng.choice(NUMBERS)}
    if kind == "B":
        return {"B": base64.b64encode(rng.randbytes(rng.randint(1, 12))).decode()}
    if kind == "BOOL":
        return {"BOOL": rng.random() < 0.5}
    if kind == "NULL":
        return {"NULL": True}
    if kind == "SS":
        return {"SS": sorted({rng.choice("abcdéf") for _ in range(3)})}
    if kind == "NS":
        return {"NS": sorted({str(rng.randint(-5, 5)) for _ in range(3)})}
    if kind == "BS":
        octets = {bytes([rng.randint(0, 255)]) for _ in range(2)}
        return {"BS": sorted(base64.b64encode(o).decode() for o in octets)}
    if kind == "L":
        return {"L": [random_value(rng, depth + 1, binaries) for _ in range(rng.randint(0, 3))]}
    members = {f"k{i}": random_value(rng, depth + 1, binaries) for i in range(rng.randint(0, 3))}
    return {"M": members}
