"""The S3 body buffer behaves as the in-memory file moto used (infra/local/s3_bodies.py)."""

from __future__ import annotations

import io
import random

import pytest

from infra.local.s3_bodies import BodyFile, DiskBuffer


def test_random_operations_read_as_an_in_memory_file() -> None:
    rng = random.Random(12)
    store = BodyFile()
    for _ in range(200):
        ours, theirs = DiskBuffer(store), io.BytesIO()
        for _ in range(rng.randint(1, 12)):
            op = rng.choice(("write", "write", "read", "seek", "truncate", "tell"))
            if op == "write":
                data = rng.randbytes(rng.choice((0, 1, 100, 4095, 4096, 4097, 20_000)))
                assert ours.write(data) == theirs.write(data)
            elif op == "read":
                size = rng.choice((-1, 0, 1, 10, 5000, None))
                assert ours.read(size) == theirs.read(size)
            elif op == "seek":
                where = rng.randint(0, 30_000)
                assert ours.seek(where) == theirs.seek(where)
            elif op == "truncate":
                size = rng.choice((None, 0, rng.randint(0, 25_000)))
                # BytesIO keeps the position; a truncate never grows either buffer.
                assert ours.truncate(size) == theirs.truncate(size)
            assert ours.tell() == theirs.tell()
        ours.seek(0)
        assert ours.read() == theirs.getvalue()
        ours.close()
    assert store.live_bytes == 0


def test_a_closed_buffer_gives_its_region_back_and_refuses_reads() -> None:
    store = BodyFile()
    buffer = DiskBuffer(store)
    buffer.write(b"x" * 1_000_000)
    assert store.live_bytes == 1_000_000
    used = store.disk_bytes()
    buffer.close()
    assert store.live_bytes == 0
    assert store.disk_bytes() < used  # the blocks were punched out (sparse file)
    with pytest.raises(ValueError):
        buffer.read()


def test_moto_s_write_pattern_rewrites_the_body() -> None:
    store = BodyFile()
    buffer = DiskBuffer(store)
    for body in (b"first body", b"", b"a second, longer body" * 100, b"third"):
        buffer.seek(0)
        buffer.truncate()
        buffer.write(body)
        buffer.seek(0)
        assert buffer.read() == body
    assert store.live_bytes == len(b"third")
