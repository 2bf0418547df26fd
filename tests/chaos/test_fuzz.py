"""Fuzzing the bank-file parsers: mutated real files (and ZIPs of them) are either
read or refused with a reason (``StatementParseError``) — never another exception,
which would retry the file into the dead-letter queue with no reason.

Fixed seed, bounded budget: ``ENCAISSE_FUZZ_BUDGET`` files (a small budget in
``make test``, a large one under ``make chaos``; docs/reliability.md has the figures).
"""

from __future__ import annotations

import io
import os
import random
import zipfile
from pathlib import Path
from typing import Any

import pytest

from functions.core.errors import StatementParseError
from functions.ingest.parsers import parse_bytes

SEED = 20261203
SHARED = Path(
    os.environ.get("ENCAISSE_SHARED_DIR") or Path(__file__).resolve().parents[2] / ".." / "shared"
)
STATEMENTS = SHARED / "testdata" / "statements"
FAST_BUDGET = 120
CHAOS_BUDGET = 10000


def _seeds() -> list[Path]:
    if not STATEMENTS.is_dir():
        pytest.skip(f"shared statements not found at {STATEMENTS}")
    return sorted(
        p
        for p in STATEMENTS.rglob("*")
        if p.is_file() and not p.name.endswith((".json", ".md")) and p.stat().st_size < 200_000
    )


def _mutate(rng: random.Random, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buf:
            break
        op = rng.randrange(7)
        i = rng.randrange(len(buf))
        if op == 0:  # flip a byte
            buf[i] = rng.randrange(256)
        elif op == 1:  # truncate
            del buf[i:]
        elif op == 2:  # delete a span
            del buf[i : i + rng.randint(1, 64)]
        elif op == 3:  # duplicate a span
            buf[i:i] = buf[i : i + rng.randint(1, 256)]
        elif op == 4:  # a digit or sign where one was
            buf[i : i + 1] = rng.choice([b"-", b"9", b"e", b".", b",", b" ", b"\x00"])
        elif op == 5:  # swap two lines
            lines = bytes(buf).split(b"\n")
            if len(lines) > 2:
                a, b = rng.randrange(len(lines)), rng.randrange(len(lines))
                lines[a], lines[b] = lines[b], lines[a]
                buf = bytearray(b"\n".join(lines))
        else:  # odd bytes in the middle
            buf[i:i] = rng.choice([b"&amp;&#0;", b"<![CDATA[", b"\xff\xfe", b"]]>", b"{\n", b"\r"])
    return bytes(buf)


def _zip_of(rng: random.Random, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    raw = out.getvalue()
    return _mutate(rng, raw) if rng.random() < 0.7 else raw


def run_campaign(budget: int) -> dict[str, int]:
    seeds = _seeds()
    rng = random.Random(SEED)
    tally = {"tried": 0, "read": 0, "refused": 0}
    failures: list[str] = []
    for n in range(budget):
        path = seeds[n % len(seeds)]
        data = _mutate(rng, path.read_bytes())
        name = path.name
        if rng.random() < 0.15:
            data, name = _zip_of(rng, path.name, data), f"{path.stem}.zip"
        tally["tried"] += 1
        try:
            parse_bytes(data, name)
            tally["read"] += 1
        except StatementParseError:
            tally["refused"] += 1
        except Exception as e:
            failures.append(f"#{n} {path.name}: {type(e).__name__}: {e}"[:300])
    assert not failures, f"{len(failures)} of {budget} files crashed the parser:\n" + "\n".join(
        failures[:20]
    )
    return tally


def test_mutated_files_are_read_or_refused_with_a_reason() -> None:
    tally = run_campaign(int(os.environ.get("ENCAISSE_FUZZ_BUDGET", FAST_BUDGET)))
    assert tally["tried"] == tally["read"] + tally["refused"]


@pytest.mark.chaos
def test_mutated_files_large_budget() -> None:
    tally = run_campaign(int(os.environ.get("ENCAISSE_FUZZ_BUDGET", CHAOS_BUDGET)))
    print(f"fuzz: {tally}")


def _ingest_campaign(emulator: Any, budget: int) -> dict[str, int]:
    """Mutated files through the real ingest (S3, DynamoDB, SQS of the emulator):
    each one ingested or quarantined with a reason, none raising (which would
    send it to the dead-letter queue)."""
    from functions.adapters.dynamo import DynamoOrganisationRepository
    from functions.adapters.settings import Settings
    from functions.bootstrap import build_ingestor
    from functions.core.organisation import Organisation
    from functions.core.viban import VirtualIbanRange

    settings = Settings.from_env()
    org_id = f"org-fuzz{budget}"
    DynamoOrganisationRepository(settings.organisations_table).put(
        Organisation(
            org_id,
            "Fuzz HLM",
            "FR7630004008210000420001774",
            VirtualIbanRange("30004", "00821", "9"),
        )
    )
    ingestor = build_ingestor(settings)
    s3 = emulator.client("s3")
    seeds = _seeds()
    rng = random.Random(SEED + 1)
    tally: dict[str, int] = {"tried": 0}
    failures = []
    for n in range(budget):
        path = seeds[rng.randrange(len(seeds))]
        key = f"{org_id}/{n}-{path.name}"
        s3.put_object(Bucket=settings.inbox_bucket, Key=key, Body=_mutate(rng, path.read_bytes()))
        tally["tried"] += 1
        try:
            result = ingestor.ingest(settings.inbox_bucket, key)
        except Exception as e:
            failures.append(f"{key}: {type(e).__name__}: {e}"[:300])
            continue
        tally[result.status] = tally.get(result.status, 0) + 1
        if result.status == "quarantined":
            assert result.reason, key
    assert not failures, "\n".join(failures[:20])
    assert set(tally) <= {"tried", "ingested", "quarantined", "duplicate"}, tally
    return tally


@pytest.mark.integration
def test_mutated_files_are_ingested_or_quarantined(emulator: Any) -> None:
    _ingest_campaign(emulator, int(os.environ.get("ENCAISSE_FUZZ_INGEST_BUDGET", "20")))


@pytest.mark.chaos
def test_mutated_files_ingest_large_budget(emulator: Any) -> None:
    print(f"fuzz ingest: {_ingest_campaign(emulator, 400)}")
