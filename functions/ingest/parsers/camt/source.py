"""The byte stream the camt reader parses: the root's default namespace
hidden from lxml, and runs of entries cut out for :mod:`.batches`."""

from __future__ import annotations

import re
from typing import IO

from functions.ingest.parsers.camt.batches import EntryBatches

# The namespace of a camt.052/053/054 message, any version.
NAMESPACE = re.compile(r"camt\.(05[234])\.\d{3}\.\d{2}")

# The start tag of the root element, after an optional BOM, XML declaration,
# processing instructions and comments; group 1 is its attributes. A root
# with a prefix (``<ns2:Document xmlns:ns2=…>``) does not match.
_ROOT_START = re.compile(
    rb"\A(?:\xef\xbb\xbf)?\s*(?:(?:<\?.*?\?>|<!--.*?-->)\s*)*<[A-Za-z_][\w.-]*(\s[^<>]*)?>",
    re.DOTALL,
)
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DEFAULT_NAMESPACE = re.compile(rb"""\sxmlns\s*=\s*(?:"([^"<>]*)"|'([^'<>]*)')""")
# How far into the file the root start tag is looked for.
_HEAD = 64 * 1024
# Entries parsed in batches where that cannot change their meaning (see
# :mod:`.batches`); off, every entry goes through iterparse (tests compare).
USE_BATCHES = True


class Prepended:
    """A binary file object that reads ``head`` first, then ``source``."""

    def __init__(self, head: bytes, source: IO[bytes]) -> None:
        self._head = head
        self._source = source

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._source.read(size)
        if size is None or size < 0:
            data, self._head = self._head + self._source.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


def without_default_namespace(
    source: IO[bytes],
) -> tuple[IO[bytes] | Prepended | EntryBatches, str | None, EntryBatches | None]:
    """``source`` with the root element's default camt namespace declaration
    blanked out, and that namespace (``None`` when left as it was).

    Why: lxml spells each tag it hands to Python as ``{namespace}Name``,
    building that string anew at every look-up; with the 50-character camt
    namespace this was a third of the time spent reading an entry. The
    declaration is overwritten by spaces of the same length (line and column
    numbers in errors stay right); the elements are then in no namespace and
    the reader, which already checked the namespace in the root tag, matches
    plain names. Left as it is: a prefixed root, a namespace that is not
    camt (the reader then says so), a root that also binds a prefix to the
    same namespace (its elements could use either spelling), and a file
    whose root tag is not near its start.

    The third value, when not ``None``, is the returned file object itself,
    an :class:`EntryBatches`: the document's plain-name entries can be parsed
    in batches (a UTF-8 document whose elements, once the declaration is
    hidden, are in no namespace).
    """
    head = source.read(_HEAD)
    root = _ROOT_START.match(head)
    if root is None:
        return Prepended(head, source), None, None
    declaration = _DEFAULT_NAMESPACE.search(root.group(1) or b"")
    encoding = _DECLARED_ENCODING.search(head, 0, root.start(1) if root.group(1) else root.end())
    utf8 = encoding is None or encoding.group(1).lower().replace(b"_", b"-") in (b"utf-8", b"utf8")
    batchable = utf8 and USE_BATCHES
    if declaration is None:
        # No namespace at all (some banks omit it): the names are plain already.
        batches = EntryBatches(head, source) if batchable else None
        return batches or Prepended(head, source), None, batches
    uri = declaration.group(1) if declaration.group(1) is not None else declaration.group(2)
    attributes = root.group(1)
    if not NAMESPACE.search(uri.decode("latin-1")) or re.search(
        rb"\sxmlns:[\w.-]+\s*=\s*[\"']" + re.escape(uri) + rb"[\"']", attributes
    ):
        return Prepended(head, source), None, None
    start = root.start(1) + declaration.start()
    end = root.start(1) + declaration.end()
    head = head[:start] + b" " * (end - start) + head[end:]
    batches = EntryBatches(head, source) if batchable else None
    return batches or Prepended(head, source), uri.decode("latin-1"), batches
