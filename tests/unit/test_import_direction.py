"""The dependency direction: core ← adapters ← services ← handlers/API (docs/architecture.md).

Read with ``ast`` (nothing is imported): every ``import`` of every module under
``functions/`` is checked against the layer it lives in.

- ``functions/core`` imports no AWS or web library and nothing of ours outside the core.
- Adapters import the core and other adapters only.
- Services (``functions/<capability>/*.py`` other than handlers) import the core and
  other services, never an adapter, a handler, the API or the composition root.
- Handlers and the API reach adapters only through the composition root
  (``functions.bootstrap``): at run time they import nothing from ``functions.adapters``
  but ``functions.adapters.settings``; for type annotations (``if TYPE_CHECKING:``)
  they may name an adapter's public classes, never a storage codec or cursor.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = ROOT / "functions"

AWS_AND_WEB = ("boto3", "botocore", "pynamodb", "chalice", "aws_lambda_powertools", "mypy_boto3")
STORAGE_INTERNALS = re.compile(
    r"(_from_item|_to_item|_to_items|_item)$|^(to_ddb|from_ddb|encode_cursor|decode_cursor|"
    r"cursor_scope|query_page|batch_write)$|^_"
)


@dataclass(frozen=True, slots=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported module, dotted
    names: tuple[str, ...]
    typing_only: bool
    line: int

    def __str__(self) -> str:
        names = f" ({', '.join(self.names)})" if self.names else ""
        return f"{self.module}:{self.line} imports {self.target}{names}"


def _dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str | None = None) -> list[Import]:
    module = module or _dotted(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[Import] = []

    def visit(node: ast.AST, typing_only: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_stmt(stmt, True)
                for stmt in child.orelse:
                    visit_stmt(stmt, typing_only)
                continue
            visit_stmt(child, typing_only)

    def visit_stmt(stmt: ast.AST, typing_only: bool) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                found.append(Import(module, alias.name, (), typing_only, stmt.lineno))
        elif isinstance(stmt, ast.ImportFrom):
            base = stmt.module or ""
            if stmt.level:
                anchor = package.split(".")[: len(package.split(".")) - stmt.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            names = tuple(a.name for a in stmt.names)
            found.append(Import(module, base, names, typing_only, stmt.lineno))
        else:
            visit(stmt, typing_only)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False)
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    if module == "functions.bootstrap":
        return "root"
    if len(parts) < 2:
        return "package"
    if parts[1] == "core":
        return "core"
    if parts[1] == "adapters":
        return "adapters"
    if parts[1] == "api":
        return "api"
    if parts[-1] == "handler":
        return "handler"
    return "service"


ALL = [imp for path in sorted(FUNCTIONS.rglob("*.py")) for imp in _imports(path)]


def _ours(target: str) -> bool:
    return target == "functions" or target.startswith("functions.")


def _violations(layer: str) -> list[str]:
    bad = []
    for imp in ALL:
        if _layer(imp.module) != layer:
            continue
        top = imp.target.split(".")[0]
        target_layer = _layer(imp.target) if _ours(imp.target) else None
        if layer == "core":
            if top in AWS_AND_WEB or (target_layer is not None and target_layer != "core"):
                bad.append(str(imp))
        elif layer == "adapters":
            if target_layer not in (None, "core", "adapters"):
                bad.append(str(imp))
        elif layer == "service":
            if target_layer in ("adapters", "handler", "api", "root"):
                bad.append(str(imp))
        elif layer in ("handler", "api"):
            if target_layer == "adapters" and not _handler_may_import(imp):
                bad.append(str(imp))
            if (
                layer == "handler"
                and target_layer in ("api", "handler")
                and imp.target != imp.module
            ):
                bad.append(str(imp))
    return bad


def _handler_may_import(imp: Import) -> bool:
    if imp.target == "functions.adapters.settings":
        return True
    if not imp.typing_only:
        return False
    return all(not STORAGE_INTERNALS.search(name) for name in imp.names)


@pytest.mark.parametrize("layer", ["core", "adapters", "service", "handler", "api"])
def test_imports_point_inwards(layer: str) -> None:
    assert _violations(layer) == []


def test_the_checker_sees_what_it_must_refuse(tmp_path: Path) -> None:
    """The rules above, on imports written the wrong way round."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from typing import TYPE_CHECKING\n"
        "from functions.adapters.dynamo import decode_cursor\n"
        "if TYPE_CHECKING:\n"
        "    from functions.adapters.dynamo import DynamoLeaseRepository, lease_from_item\n",
        encoding="utf-8",
    )
    imports = _imports(sample, "functions.api.sample")
    runtime, typing_only = imports[1], imports[2]
    assert not runtime.typing_only and not _handler_may_import(runtime)
    assert typing_only.typing_only and not _handler_may_import(typing_only)
    allowed = Import("functions.api.x", "functions.adapters.dynamo", ("DynamoBooker",), True, 1)
    assert _handler_may_import(allowed)
    assert len({_layer(i.module) for i in ALL}) >= 6  # every layer was read
    assert _layer("functions.core.money") == "core"
    assert _layer("functions.match.service") == "service"
    assert _layer("functions.match.handler") == "handler"
    assert _layer("functions.bootstrap") == "root"
