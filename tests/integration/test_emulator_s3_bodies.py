"""S3 objects whose bodies live on disk (infra/local/s3_bodies.py) answer as moto's did."""

from __future__ import annotations

import gc
import hashlib
import tracemalloc
import uuid
from typing import Any

import pytest

from infra.local.s3_bodies import body_file

SIZES = (0, 1, 4095, 4096, 4097, 18_000, 300_000)


@pytest.fixture
def s3(emulator: Any) -> Any:
    return emulator.client("s3")


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"bodies-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    return name


def _body(size: int, seed: int = 0) -> bytes:
    start = seed % 251
    return (bytes(range(251)) * (size // 251 + 2))[start : start + size]


def test_objects_read_back_whole_and_by_range(s3: Any, bucket: str) -> None:
    for size in SIZES:
        body = _body(size)
        put = s3.put_object(Bucket=bucket, Key=f"k/{size}", Body=body, ContentType="x/y")
        got = s3.get_object(Bucket=bucket, Key=f"k/{size}")
        assert got["Body"].read() == body
        assert got["ContentLength"] == size
        assert got["ContentType"] == "x/y"
        assert put["ETag"] == got["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
        if size > 10:
            part = s3.get_object(Bucket=bucket, Key=f"k/{size}", Range="bytes=3-9")
            assert part["Body"].read() == body[3:10]


def test_overwritten_and_deleted_objects_give_their_space_back(s3: Any, bucket: str) -> None:
    store = body_file()
    before = store.live_bytes
    s3.put_object(Bucket=bucket, Key="doc.pdf", Body=_body(50_000))
    s3.put_object(Bucket=bucket, Key="doc.pdf", Body=_body(20_000, seed=3))
    assert s3.get_object(Bucket=bucket, Key="doc.pdf")["Body"].read() == _body(20_000, seed=3)
    s3.delete_object(Bucket=bucket, Key="doc.pdf")
    s3.put_object(Bucket=bucket, Key="other", Body=b"kept")
    # moto keeps an overwritten key object alive (its instance tracker), but not its body
    # in the heap: only the live objects' bytes are counted here once it is disposed.
    assert store.live_bytes - before <= 50_000 + 20_000 + 4
    assert s3.get_object(Bucket=bucket, Key="other")["Body"].read() == b"kept"


def test_copies_multipart_uploads_and_versions(s3: Any, bucket: str) -> None:
    s3.put_object(Bucket=bucket, Key="src", Body=_body(10_000))
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == _body(10_000)

    upload = s3.create_multipart_upload(Bucket=bucket, Key="big")
    parts = [_body(5 * 1024 * 1024, seed=1), _body(1000, seed=2)]
    etags = [
        s3.upload_part(
            Bucket=bucket, Key="big", UploadId=upload["UploadId"], PartNumber=n, Body=data
        )["ETag"]
        for n, data in enumerate(parts, 1)
    ]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": e, "PartNumber": n} for n, e in enumerate(etags, 1)]},
    )
    assert s3.get_object(Bucket=bucket, Key="big")["Body"].read() == b"".join(parts)

    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=bucket, Key="v", Body=b"one")["VersionId"]
    second = s3.put_object(Bucket=bucket, Key="v", Body=b"two")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=first)["Body"].read() == b"one"
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=second)["Body"].read() == b"two"
    listed = s3.list_object_versions(Bucket=bucket, Prefix="v")["Versions"]
    assert {v["VersionId"] for v in listed} == {first, second}
    assert s3.get_object(Bucket=bucket, Key="v", VersionId=first)["Body"].read() == b"one"


def test_bodies_are_not_held_in_the_heap(s3: Any, bucket: str) -> None:
    bodies = [_body(100_000, seed=n) for n in range(100)]
    s3.put_object(Bucket=bucket, Key="warm", Body=b"w")
    gc.collect()
    tracemalloc.start()
    try:
        held = tracemalloc.get_traced_memory()[0]
        for n, body in enumerate(bodies):
            s3.put_object(Bucket=bucket, Key=f"pdf/{n}", Body=body)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - held
    finally:
        tracemalloc.stop()
    # 10 MB of bodies, all held by moto's buffers; a key's own fields are ~3 KB.
    assert grown < 1_500_000, grown
    assert s3.get_object(Bucket=bucket, Key="pdf/42")["Body"].read() == _body(100_000, seed=42)
