"""Reading an entry in one walk: the camt paths the reader looks up.

A 100,000-entry file spends most of its time turning each ``Ntry`` into an
Entry, and in that mostly on the Python side of lxml: making a proxy per
element, building its tag string, comparing. So each entry is read in one
walk over the elements on the paths we want, driven by a tree of dicts
compiled once per document from the path lists below; a subtree that
holds nothing we read is never entered. Each path keeps the ElementPath
meaning the parser always had: the first match in document order, even
when its text is empty ("", not None).
"""

from __future__ import annotations

from typing import Any

# Element names the statement header reader looks up.
_NAMES = (
    "Acct",
    "Amt",
    "Bal",
    "Ccy",
    "CdOrPrtry",
    "CdtDbtInd",
    "Cd",
    "Dt",
    "DtTm",
    "Id",
    "IBAN",
    "Ntry",
    "Othr",
    "Prtry",
    "Tp",
)


class Tags:
    """Clark-notation tag names (``{ns}Amt``) for one document's namespace."""

    def __init__(self, ns: str) -> None:
        prefix = f"{{{ns}}}" if ns else ""
        self.prefix = prefix
        self.t: dict[str, str] = {name: prefix + name for name in _NAMES}
        self._paths: dict[str, str] = {}

    def path(self, path: str) -> str:
        """``"Refs/EndToEndId"`` → ``"{ns}Refs/{ns}EndToEndId"`` (cached)."""
        found = self._paths.get(path)
        if found is None:
            found = "/".join(self.prefix + part for part in path.split("/"))
            self._paths[path] = found
        return found


# Kinds of field: the text of the first match, the first matching element
# itself (amounts, whose ``Ccy`` attribute matters), or every match.
TEXT, ELEMENT, ALL = "text", "element", "all"

ENTRY_FIELDS: dict[str, str] = {
    "Amt": ELEMENT,
    "CdtDbtInd": TEXT,
    "RvslInd": TEXT,
    # Sts is a plain code up to v7, <Sts><Cd>…</Cd></Sts> from v8 on.
    "Sts": TEXT,
    "Sts/Cd": TEXT,
    "Sts/Prtry": TEXT,
    "BookgDt/Dt": TEXT,
    "BookgDt/DtTm": TEXT,
    "ValDt/Dt": TEXT,
    "ValDt/DtTm": TEXT,
    "AcctSvcrRef": TEXT,
    # The proprietary code (BkTxCd/Prtry/Cd) is only read when there is no
    # domain code: from the first BkTxCd, along PROPRIETARY_FIELDS.
    "BkTxCd": ELEMENT,
    "BkTxCd/Domn/Cd": TEXT,
    "BkTxCd/Domn/Fmly/Cd": TEXT,
    "BkTxCd/Domn/Fmly/SubFmlyCd": TEXT,
    "NtryDtls/TxDtls": ALL,
}

PROPRIETARY_FIELDS: dict[str, str] = {"Prtry/Cd": TEXT}

# Party names: v1-v7 ``<Dbtr><Nm>``; v8+ ``<Dbtr><Pty><Nm>`` or
# ``<Dbtr><Agt><FinInstnId><Nm>``, in that order of preference.
_PARTY_NAMES = ("Nm", "Pty/Nm", "Agt/FinInstnId/Nm")
TX_FIELDS: dict[str, str] = {
    "Amt": ELEMENT,
    "AmtDtls/TxAmt/Amt": ELEMENT,
    "AmtDtls/InstdAmt/Amt": ELEMENT,
    "Refs/EndToEndId": TEXT,
    "Refs/MndtId": TEXT,
    "RtrInf": ELEMENT,
    "RtrInf/Rsn/Cd": TEXT,
    "RtrInf/Rsn/Prtry": TEXT,
    **{
        f"RltdPties/{role}/{name}": TEXT
        for role in ("Dbtr", "UltmtDbtr", "Cdtr", "UltmtCdtr")
        for name in _PARTY_NAMES
    },
    "RltdPties/DbtrAcct/Id/IBAN": TEXT,
    "RltdPties/CdtrAcct/Id/IBAN": TEXT,
    "RmtInf/Ustrd": ALL,
    "RmtInf/Strd/CdtrRefInf/Ref": TEXT,
}

# Where the related parties' names sit among the transaction fields: the
# debtor's and ultimate debtor's, then the creditor's and ultimate
# creditor's (each Nm, Pty/Nm, Agt/FinInstnId/Nm).
_TX_PATHS = list(TX_FIELDS)
DEBTOR_NAMES = slice(_TX_PATHS.index("RltdPties/Dbtr/Nm"), _TX_PATHS.index("RltdPties/Cdtr/Nm"))
CREDITOR_NAMES = slice(
    _TX_PATHS.index("RltdPties/Cdtr/Nm"), _TX_PATHS.index("RltdPties/DbtrAcct/Id/IBAN")
)
PARTIES = slice(DEBTOR_NAMES.start, CREDITOR_NAMES.stop)

# A compiled path tree: tag → slot number (the text of a leaf), a nested
# tree (a container), or (slot, kind, nested tree or None) for the rest.
Tree = dict[Any, Any]


def compile_paths(fields: dict[str, str], prefixes: tuple[str, ...]) -> Tree:
    """The path tree of ``fields`` (slot ``i`` is the ``i``-th path), keyed
    by each tag spelling in ``prefixes`` (``""`` and/or ``"{ns}"``)."""
    root: dict[str, list[Any]] = {}
    for slot, (path, kind) in enumerate(fields.items()):
        node = root
        *parents, leaf = path.split("/")
        for part in parents:
            spec = node.setdefault(part, [None, None, {}])
            if spec[2] is None:
                spec[2] = {}
            node = spec[2]
        spec = node.setdefault(leaf, [None, None, None])
        spec[0], spec[1] = slot, kind
    return _freeze(root, prefixes)


def _freeze(node: dict[str, list[Any]], prefixes: tuple[str, ...]) -> Tree:
    out: Tree = {}
    for name, (slot, kind, children) in node.items():
        sub = _freeze(children, prefixes) if children is not None else None
        if slot is None:
            value: Any = sub
        elif kind == TEXT and sub is None:
            value = slot
        else:
            value = (slot, kind, sub)
        for prefix in prefixes:
            out[prefix + name] = value
    return out


def walk(elem: Any, tree: Tree, slots: list[Any]) -> None:
    """Fill ``slots`` from the children of ``elem`` along ``tree``."""
    # elem[:] builds the list of children in one call: cheaper than an
    # iterator object per container.
    for child in elem[:]:
        spec = tree.get(child.tag)
        if spec is None:
            continue
        kind = type(spec)
        if kind is int:
            if slots[spec] is None:
                slots[spec] = child.text or ""
        elif kind is dict:
            walk(child, spec, slots)
        else:
            slot, what, sub = spec
            if what == ALL:
                if slots[slot] is None:
                    slots[slot] = [child]
                else:
                    slots[slot].append(child)
            elif slots[slot] is None:
                slots[slot] = (child.text or "") if what == TEXT else child
            if sub is not None:
                walk(child, sub, slots)


def fields(elem: Any, tree: Tree, size: int) -> list[Any]:
    """The ``size`` fields ``tree`` reads from ``elem`` (``None`` where absent)."""
    slots: list[Any] = [None] * size
    walk(elem, tree, slots)
    return slots


class Trees:
    """The entry and transaction path trees for one document's tag spelling."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self.entry = compile_paths(ENTRY_FIELDS, prefixes)
        self.entry_slots = len(ENTRY_FIELDS)
        self.tx = compile_paths(TX_FIELDS, prefixes)
        self.tx_slots = len(TX_FIELDS)
        self.proprietary = compile_paths(PROPRIETARY_FIELDS, prefixes)
