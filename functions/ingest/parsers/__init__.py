"""Bank-file parsers: one module per format, one entry point.

``parse_bytes(data, filename)`` detects the format from the content, opens ZIP
archives, copes with encodings, BOMs and line ends, and returns the
normalized :class:`~functions.core.statements.ParsedFile`. Anything it cannot
read raises :class:`~functions.core.errors.StatementParseError` (or its
subclass :class:`~functions.core.errors.UnknownFormatError`); no other
exception escapes it.
"""

from __future__ import annotations

import importlib
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import IO

from functions.core.errors import StatementParseError, UnknownFormatError
from functions.core.statements import Entry, ParsedFile, Reject, Statement, Transaction
from functions.ingest.parsers.common import entry_items
from functions.ingest.parsers.detect import Kind, detect

__all__ = [
    "MAX_ARCHIVE_BYTES",
    "MAX_ARCHIVE_MEMBERS",
    "MAX_ARCHIVE_RATIO",
    "StatementStream",
    "ZipLimits",
    "parse_bytes",
    "parse_file",
    "stream_file",
]

# A ZIP from a bank holds a few statements; these limits stop a zip bomb.
MAX_ARCHIVE_MEMBERS = 500
MAX_ARCHIVE_BYTES = 256 * 1024 * 1024
# Bank XML deflates 10 to 30 times; a ratio far above that is a bomb.
MAX_ARCHIVE_RATIO = 200
# Below this many bytes read from a member, its ratio is not judged.
_RATIO_FLOOR = 1024 * 1024
_CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """How much a ZIP may unpack to: files, total bytes, and bytes per
    compressed byte of each member. Decompression stops at the first
    limit crossed, so memory and time stay bounded whatever the archive
    declares."""

    members: int = MAX_ARCHIVE_MEMBERS
    total_bytes: int = MAX_ARCHIVE_BYTES
    ratio: int = MAX_ARCHIVE_RATIO

    @classmethod
    def of(cls, members: str = "", total_bytes: str = "", ratio: str = "") -> ZipLimits:
        """Limits from configuration text; a blank one keeps its default.
        Raises ``ValueError`` naming a value that is not a positive integer."""
        default = cls()
        values = {"members": members, "total_bytes": total_bytes, "ratio": ratio}
        chosen: dict[str, int] = {}
        for name, text in values.items():
            if not text.strip():
                chosen[name] = getattr(default, name)
                continue
            if not text.strip().isdigit() or int(text) <= 0:
                raise ValueError(f"ZIP limit {name}: {text!r} is not a positive integer")
            chosen[name] = int(text)
        return cls(**chosen)


_MODULES = {
    Kind.CAMT: "camt",
    Kind.PAIN002: "pain002",
    Kind.MT940: "mt940",
    Kind.CFONB120: "cfonb120",
}


def _module(kind: Kind) -> ModuleType:
    # Imported on first use: a CFONB file need not wait for lxml to load.
    return importlib.import_module(f"{__name__}.{_MODULES[kind]}")


def _parser(kind: Kind) -> Callable[[bytes, str], ParsedFile]:
    parse: Callable[[bytes, str], ParsedFile] = _module(kind).parse
    return parse


def parse_bytes(data: bytes, filename: str, limits: ZipLimits | None = None) -> ParsedFile:
    """Parse one bank file (or a ZIP of bank files) held in memory.

    ``filename`` is only used in error messages. A ZIP's statements and rejects
    are merged into one :class:`ParsedFile`, in member-name order; its
    ``format`` is the members' common format, or their formats joined with
    ``+`` when they differ.

    Raises :class:`StatementParseError` for an unreadable file, naming the
    file (``archive.zip!member``), the line or XML path, and the reason;
    :class:`UnknownFormatError` when the content is no format we read.
    """
    kind = detect(data)
    if kind is Kind.ZIP:
        return _parse_zip(data, filename, limits or ZipLimits())
    if kind is Kind.UNKNOWN:
        if not data.strip():
            raise UnknownFormatError(filename, None, "empty file", "detect")
        raise UnknownFormatError(
            filename,
            "line 1",
            "not a camt.052/053/054, pain.002, MT940/MT942 or CFONB 120 file",
            "detect",
        )
    try:
        return _parser(kind)(data, filename)
    except StatementParseError:
        raise
    except _PARSER_BUGS as e:
        # A parser bug on odd input must still reach the caller as a parse error
        # so that the file is quarantined rather than retried for ever.
        raise _unreadable(filename, e, _MODULES[kind]) from e


_PARSER_BUGS = (ValueError, LookupError, TypeError, OverflowError, RecursionError)


def _unreadable(filename: str, e: Exception, parser: str) -> StatementParseError:
    return StatementParseError(filename, None, f"unreadable: {type(e).__name__}: {e}", parser)


def parse_file(path: str | Path) -> ParsedFile:
    """Parse a file on disk. A camt file is streamed rather than read whole,
    so a 100 MB statement does not need 100 MB of memory."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(8192)
        if detect(head) is Kind.CAMT:
            f.seek(0)
            parsed: ParsedFile = _module(Kind.CAMT).parse_stream(f, path.name)
            return parsed
        f.seek(0)
        data = f.read()
    return parse_bytes(data, path.name)


# What a broken archive raises from zipfile: a bad header, an encrypted
# member, a corrupt deflate stream, a truncated file, an unknown method.
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    RuntimeError,
    NotImplementedError,
)


def _parse_zip(data: bytes, filename: str, limits: ZipLimits) -> ParsedFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = sorted(
            (info for info in archive.infolist() if _is_statement_member(info)),
            key=lambda info: info.filename,
        )
    except _ZIP_ERRORS as e:
        raise StatementParseError(filename, None, f"unreadable ZIP archive: {e}", "zip") from e
    if not members:
        raise StatementParseError(filename, None, "ZIP archive holds no file", "zip")
    if len(members) > limits.members:
        raise StatementParseError(
            filename,
            None,
            f"ZIP archive holds {len(members)} files (max {limits.members})",
            "zip",
        )
    budget = limits.total_bytes
    parsed: list[ParsedFile] = []
    for info in members:
        name = f"{filename}!{info.filename}"
        if info.flag_bits & 0x1:
            raise StatementParseError(
                name, None, "encrypted ZIP member (password-protected archive)", "zip"
            )
        content = _unpack(archive, info, name, budget, limits)
        budget -= len(content)
        if detect(content) is Kind.ZIP:
            raise StatementParseError(name, None, "nested ZIP archives are not read", "zip")
        parsed.append(parse_bytes(content, name))
    formats = list(dict.fromkeys(p.format for p in parsed))
    return ParsedFile(
        format="+".join(formats),
        statements=tuple(s for p in parsed for s in p.statements),
        rejects=tuple(r for p in parsed for r in p.rejects),
    )


def _unpack(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: int, limits: ZipLimits
) -> bytes:
    """A member's content, decompressed chunk by chunk: stops as soon as it
    goes over what is left of the archive's budget or over the ratio limit
    (whatever sizes the archive declares)."""
    ceiling = max(limits.ratio * max(info.compress_size, 1), _RATIO_FLOOR)
    chunks: list[bytes] = []
    read = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                read += len(chunk)
                if read > budget:
                    raise StatementParseError(
                        name,
                        None,
                        f"ZIP archive too large once unpacked (over {limits.total_bytes} bytes)",
                        "zip",
                    )
                if read > ceiling:
                    raise StatementParseError(
                        name,
                        None,
                        f"ZIP member unpacks to over {limits.ratio} times its compressed size "
                        "(a ZIP bomb?)",
                        "zip",
                    )
                chunks.append(chunk)
    except _ZIP_ERRORS as e:
        raise StatementParseError(name, None, f"unreadable ZIP member: {e}", "zip") from e
    return b"".join(chunks)


def _is_statement_member(info: zipfile.ZipInfo) -> bool:
    """Skip folders and the metadata macOS and Windows add to archives."""
    if info.is_dir():
        return False
    parts = info.filename.split("/")
    base = parts[-1]
    return not (
        "__MACOSX" in parts or base.startswith(".") or base.lower() in ("thumbs.db", "desktop.ini")
    )


@dataclass
class StatementStream:
    """A bank file read entry by entry (see :func:`stream_file`).

    ``transactions()`` yields what :meth:`ParsedFile.transactions` yields, in
    the same order, so code written for a :class:`ParsedFile` (such as
    ``bank_transactions``) takes a stream as well. The statements it yields
    are headers without entries; ``statements`` lists each one once it has
    ended. A stream is read once.
    """

    format: str
    _items: Iterator[tuple[Statement, Entry | None]]
    rejects: tuple[Reject, ...] = ()
    statements: list[Statement] = field(default_factory=list)

    def items(self) -> Iterator[tuple[Statement, Entry | None]]:
        """Each entry with its statement, then ``(statement, None)`` once a
        statement has ended (listed in ``statements`` as well)."""
        for statement, entry in self._items:
            if entry is None:
                self.statements.append(statement)
            yield statement, entry

    def entries(self) -> Iterator[tuple[Statement, Entry]]:
        for statement, entry in self._items:
            if entry is None:
                self.statements.append(statement)
            else:
                yield statement, entry

    def transactions(self) -> Iterator[tuple[Statement, Entry, Transaction]]:
        for statement, entry in self.entries():
            if entry.transactions:
                for tx in entry.transactions:
                    yield statement, entry, tx
            else:
                yield statement, entry, Transaction(amount_cents=entry.amount_cents)


def stream_file(
    source: IO[bytes], filename: str, limits: ZipLimits | None = None
) -> StatementStream:
    """Read a bank file from a binary file object without holding all of it.

    A camt file is parsed as a stream: memory stays that of one entry however
    long the file (a 120 MB, 100,000-entry statement needs ~30 MB, where
    :func:`parse_file` keeps every entry). A CFONB 120 file is read line by
    line, one daily block at a time. Other formats (MT940, a pain.002, a
    ZIP) are small in practice and are parsed whole by :func:`parse_bytes`,
    then handed out the same way. Errors are those of :func:`parse_bytes`; a
    camt or CFONB error may surface while iterating, after the entries
    before it have been yielded.
    """
    head = source.read(8192)
    kind = detect(head)
    if kind is Kind.CAMT:
        source.seek(0)
        try:
            fmt, items = _module(kind).iter_entries(source, filename)
        except _PARSER_BUGS as e:
            raise _unreadable(filename, e, _MODULES[kind]) from e
        return StatementStream(fmt, _guarded(items, filename, _MODULES[kind]))
    if kind is Kind.CFONB120:
        # Read line by line, one daily block held at a time.
        module = _module(kind)
        items = module.iter_entries(source, filename)
        return StatementStream(module.FORMAT, _guarded(items, filename, _MODULES[kind]))
    parsed = parse_bytes(head + source.read(), filename, limits)
    return StatementStream(parsed.format, entry_items(parsed.statements), parsed.rejects)


def _guarded(
    items: Iterator[tuple[Statement, Entry | None]], filename: str, parser: str
) -> Iterator[tuple[Statement, Entry | None]]:
    """As in :func:`parse_bytes`: a parser bug on odd input still reaches the
    caller as a parse error, so the file is quarantined, not retried."""
    try:
        yield from items
    except _PARSER_BUGS as e:
        raise _unreadable(filename, e, parser) from e
