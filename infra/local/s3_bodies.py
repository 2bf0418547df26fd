"""S3 object bodies kept in one temporary file on disk, not in the emulator's memory.

moto keeps each object's bytes in a ``tempfile.SpooledTemporaryFile`` that stays in memory
up to 5 MB (``MOTO_S3_DEFAULT_KEY_BUFFER_SIZE``): every bank file archived and every PDF
of the tenants' safe (~18 KB each) stayed in the emulator's heap for the platform's life.
A smaller threshold is no way out: past it each object would hold an open temporary file
of its own (one descriptor per object, tens of thousands at 50,000 leases).

Here each object's buffer (:class:`DiskBuffer`, what ``FakeKey`` asks
``tempfile.SpooledTemporaryFile`` for) is a region of one shared, unlinked temporary file
(:class:`BodyFile`): written once with ``pwrite`` at the file's end, read with ``pread``
(the kernel's page cache serves hot objects, outside the process's RSS). A region is
released when its object is overwritten, deleted or collected: its whole blocks are
punched out of the file (``fallocate(PUNCH_HOLE)``; the file is sparse), so the disk it
uses follows the objects held.

Durability is unchanged: the file is a cache that dies with the process, like moto's
memory. What is acknowledged is in the write-ahead journal's blobs and the snapshots
(:mod:`infra.local.journal`, :mod:`infra.local.state`), which read the bytes through
``FakeKey.value`` as before.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import tempfile
import threading
import types
from typing import Any

_FALLOC_FL_KEEP_SIZE = 0x01
_FALLOC_FL_PUNCH_HOLE = 0x02
_BLOCK = 4096


def _fallocate() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        function = libc.fallocate
    except (OSError, AttributeError):  # not glibc: regions are never given back
        return None
    function.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong)
    function.restype = ctypes.c_int
    return function


class BodyFile:
    """An append-only, unlinked temporary file holding object bodies as regions."""

    def __init__(self, directory: str | None = None) -> None:
        # Open for the process's life (never closed: the emulator's objects live as long).
        self._file = tempfile.TemporaryFile(prefix="encaisse-s3-", dir=directory)  # noqa: SIM115
        self._fd = self._file.fileno()
        self._end = 0
        self._lock = threading.Lock()
        self._punch = _fallocate()
        self.live_bytes = 0

    def append(self, data: bytes | bytearray | memoryview) -> int:
        """Write ``data`` at the file's end; returns its offset."""
        size = len(data)
        with self._lock:
            offset = self._end
            # Regions start on a block: releasing one never punches a neighbour's bytes.
            self._end += -(-size // _BLOCK) * _BLOCK
            self.live_bytes += size
        view = memoryview(data)
        written = 0
        while written < size:
            written += os.pwrite(self._fd, view[written:], offset + written)
        return offset

    def read(self, offset: int, size: int) -> bytes:
        if size <= 0:
            return b""
        data = os.pread(self._fd, size, offset)
        if len(data) == size:
            return data
        parts = [data]
        got = len(data)
        while got < size:
            chunk = os.pread(self._fd, size - got, offset + got)
            if not chunk:
                raise OSError(f"S3 body file: {size - got} bytes missing at {offset + got}")
            parts.append(chunk)
            got += len(chunk)
        return b"".join(parts)

    def release(self, offset: int, size: int) -> None:
        """Give a region's blocks back to the file system (best effort)."""
        if size <= 0:
            return
        with self._lock:
            self.live_bytes -= size
        length = -(-size // _BLOCK) * _BLOCK
        if self._punch is not None:
            self._punch(self._fd, _FALLOC_FL_PUNCH_HOLE | _FALLOC_FL_KEEP_SIZE, offset, length)

    def disk_bytes(self) -> int:
        """Bytes the file occupies on disk (holes excluded)."""
        return os.fstat(self._fd).st_blocks * 512


class DiskBuffer:
    """What ``FakeKey`` uses of its ``SpooledTemporaryFile``: ``seek``, ``tell``,
    ``read``, ``write``, ``truncate``, ``close``, over one region of a :class:`BodyFile`.

    moto writes a body once (``seek(0)``, ``truncate()``, ``write(value)``) and reads it
    whole or in chunks; any other write rewrites the region.
    """

    __slots__ = ("_offset", "_pos", "_size", "_store", "closed")

    def __init__(self, store: BodyFile) -> None:
        self._store = store
        self._offset = 0
        self._size = 0
        self._pos = 0
        self.closed = False

    def _check(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed file.")

    def seek(self, pos: int, whence: int = 0) -> int:
        self._check()
        base = (0, self._pos, self._size)[whence]
        self._pos = max(0, base + pos)
        return self._pos

    def tell(self) -> int:
        self._check()
        return self._pos

    def read(self, size: int | None = -1) -> bytes:
        self._check()
        left = max(0, self._size - self._pos)
        count = left if size is None or size < 0 else min(size, left)
        data = self._store.read(self._offset + self._pos, count)
        self._pos += len(data)
        return data

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._check()
        size = len(data)
        if size == 0:
            return 0
        if self._size == 0 and self._pos == 0:
            self._offset = self._store.append(data)
            self._size = self._pos = size
            return size
        old = self._store.read(self._offset, self._size)
        head = old[: self._pos].ljust(self._pos, b"\0")
        body = head + bytes(data) + old[self._pos + size :]
        self._store.release(self._offset, self._size)
        self._offset, self._size = self._store.append(body), len(body)
        self._pos += size
        return size

    def truncate(self, size: int | None = None) -> int:
        self._check()
        size = self._pos if size is None else size
        if size < self._size:
            kept = self._store.read(self._offset, size)
            self._store.release(self._offset, self._size)
            self._offset, self._size = (self._store.append(kept) if kept else 0), size
        return size

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._store.release(self._offset, self._size)
            self._size = 0

    def __del__(self) -> None:
        self.close()


class _Bodies:
    """The process's body file, created on first use."""

    file: BodyFile | None = None
    lock = threading.Lock()


def body_file() -> BodyFile:
    with _Bodies.lock:
        if _Bodies.file is None:
            _Bodies.file = BodyFile()
        return _Bodies.file


def disk_buffer(*args: Any, **kwargs: Any) -> DiskBuffer:
    """``tempfile.SpooledTemporaryFile(max_size)`` as ``moto.s3.models`` calls it."""
    return DiskBuffer(body_file())


def install() -> None:
    """``FakeKey`` buffers (moto's ``tempfile.SpooledTemporaryFile``) become
    :class:`DiskBuffer` regions; the rest of ``tempfile`` is moto's as before."""
    import inspect

    from moto.s3 import models

    from infra.local.patches import PatchError, _require

    real = _require(models, "tempfile")
    if isinstance(real, types.SimpleNamespace):
        return  # installed
    if real is not tempfile:
        raise PatchError("moto changed: moto.s3.models.tempfile is not the tempfile module")
    source = inspect.getsource(models)
    if source.count("tempfile.") != source.count("tempfile.SpooledTemporaryFile("):
        raise PatchError("moto changed: moto.s3.models uses tempfile beyond SpooledTemporaryFile")
    if "self._value_buffer = tempfile.SpooledTemporaryFile(" not in source:
        raise PatchError("moto changed: a FakeKey's body is no longer a SpooledTemporaryFile")
    namespace = types.SimpleNamespace(**{k: getattr(tempfile, k) for k in tempfile.__all__})
    namespace.SpooledTemporaryFile = disk_buffer
    models.tempfile = namespace  # type: ignore[assignment, attr-defined]
