"""The camt document being read: its root and message, its tag spelling,
its blocks (``Stmt``, ``Rpt``, ``Ntfctn``) and the errors that name a place in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from functions.core.errors import StatementParseError, UnknownFormatError
from functions.core.statements import Balance, Statement
from functions.ingest.parsers.camt.paths import Tags, Trees
from functions.ingest.parsers.camt.source import NAMESPACE

PARSER = "camt"

BLOCKS = {"Stmt": "053", "Rpt": "052", "Ntfctn": "054"}
_ROOTS = {"BkToCstmrStmt": "053", "BkToCstmrAcctRpt": "052", "BkToCstmrDbtCdtNtfctn": "054"}


@dataclass
class Block:
    """The header of one Stmt/Rpt/Ntfctn, read once its leading children are complete."""

    kind: str
    index: int
    id: str | None = None
    iban: str | None = None
    other_id: str | None = None
    currency: str | None = None
    balance_currency: str | None = None
    opening: Balance | None = None
    closing: Balance | None = None
    count: int = 0  # entries read so far
    header_read: bool = False
    header: Statement | None = None  # built at the first entry


def local(tag: Any) -> str:
    """The local name of an element's tag (``""`` for a comment or PI)."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


class Document:
    """What the reader knows of the document: set by :meth:`start` from the
    root element, used by every part of the reader."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.tags = Tags("")
        self.trees = Trees(("",))
        # The root's default namespace when it was hidden from lxml (see
        # source.without_default_namespace).
        self.hidden_namespace: str | None = None
        self.root_name = "Document"
        self.message = ""
        self.format = ""

    def error(self, block: Block | None, where: str, reason: str) -> StatementParseError:
        """An error naming its place: ``/Document/BkToCstmrStmt/Stmt[1]/<where>``."""
        location = f"/{self.root_name}/{self.message}"
        if block is not None:
            location += f"/{block.kind}[{block.index}]"
        if where:
            location += f"/{where}"
        return StatementParseError(self.filename, location, reason, PARSER)

    def start(self, root: Any) -> None:
        """Check the root and its message element; learn the namespace."""
        # Not etree.QName: it refuses the odd names a garbled file can have.
        tag = root.tag if isinstance(root.tag, str) else ""
        ns, _, name = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        ns = ns or self.hidden_namespace or ""
        self.root_name = name
        message = root[0] if len(root) else None
        if self.root_name in _ROOTS:  # no <Document> wrapper
            message = root
        self.message = local(message.tag) if message is not None else ""
        kind = _ROOTS.get(self.message)
        if ns:
            kind = self._namespace(ns, kind)
        elif kind is not None:
            # Some banks omit the namespace; the message element still says what it is.
            self.format = f"camt.{kind}"
        if kind is None:
            raise UnknownFormatError(
                self.filename,
                f"/{self.root_name}",
                f"root element {self.message or self.root_name!r} is not a camt.052/053/054 "
                "message",
                PARSER,
            )
        if self.hidden_namespace:
            # Elements are in no namespace, except under an element that
            # declares it again: the entry walks accept both spellings.
            self.tags = Tags("")
            self.trees = Trees(("", f"{{{ns}}}"))
        else:
            self.tags = Tags(ns)
            self.trees = Trees((self.tags.prefix,))

    def _namespace(self, ns: str, kind: str | None) -> str:
        """Learn the format from the namespace ``ns``; the message kind
        (``"053"``…): the message element's, else the namespace's."""
        m = NAMESPACE.search(ns)
        if m is None:
            raise UnknownFormatError(
                self.filename,
                f"/{self.root_name}",
                f"namespace {ns!r} is not a camt.052/053/054 message",
                PARSER,
            )
        self.format = m.group(0)
        return kind if kind is not None else m.group(1)
