"""DynamoDB repositories: the only code that knows how records are stored.

One module per aggregate; this package re-exports their names for callers. The
re-exports are resolved on first use (PEP 562): importing one repository's module
(every import of a submodule runs this file first) does not import the others, so a
function's cold start pays only for the tables it uses (the notify function uses no
booking, API key or transaction code).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from functions.adapters.dynamo.api_keys import (
        DynamoApiKeyRepository,
    )
    from functions.adapters.dynamo.base import (
        _CURSOR_VERSION,
        _KEY_EQUALS,
        _MAX_CURSOR_CHARS,
        _NOT_OURS,
        StorageError,
        _batch_get,
        _d,
        _iso,
        _key_value_ok,
        _plain,
        _query_page,
        batch_write,
        cursor_scope,
        decode_cursor,
        encode_cursor,
        from_ddb,
        query_page,
        to_ddb,
    )
    from functions.adapters.dynamo.booking import (
        COLLECTION_PREFIX,
        BookingTables,
        DynamoBooker,
        allocations_from_item,
        collection_key,
        decision_to_item,
    )
    from functions.adapters.dynamo.dunning_cases import (
        DynamoDunningCaseRepository,
    )
    from functions.adapters.dynamo.entries import (
        DynamoEntryRepository,
        entry_from_item,
        entry_to_item,
    )
    from functions.adapters.dynamo.files import (
        DynamoFileRepository,
    )
    from functions.adapters.dynamo.leases import (
        DynamoLeaseRepository,
        lease_from_item,
        lease_to_item,
    )
    from functions.adapters.dynamo.ledger import (
        DynamoLedgerRepository,
        ledger_line_from_item,
        ledger_line_to_item,
    )
    from functions.adapters.dynamo.ledger_writer import (
        DynamoLedgerWriter,
        _balance_deltas,
        _put_new,
        ledger_write_items,
    )
    from functions.adapters.dynamo.organisations import (
        DynamoOrganisationRepository,
        _branding_to_item,
        organisation_from_item,
        organisation_to_item,
    )
    from functions.adapters.dynamo.transactions import (
        DynamoTransactionRepository,
        transaction_from_item,
        transaction_to_item,
    )

_MODULES: dict[str, str] = {
    "DynamoApiKeyRepository": "api_keys",
    "_CURSOR_VERSION": "base",
    "_KEY_EQUALS": "base",
    "_MAX_CURSOR_CHARS": "base",
    "_NOT_OURS": "base",
    "StorageError": "base",
    "_batch_get": "base",
    "_d": "base",
    "_iso": "base",
    "_key_value_ok": "base",
    "_plain": "base",
    "_query_page": "base",
    "batch_write": "base",
    "cursor_scope": "base",
    "decode_cursor": "base",
    "encode_cursor": "base",
    "from_ddb": "base",
    "query_page": "base",
    "to_ddb": "base",
    "COLLECTION_PREFIX": "booking",
    "BookingTables": "booking",
    "DynamoBooker": "booking",
    "allocations_from_item": "booking",
    "collection_key": "booking",
    "decision_to_item": "booking",
    "DynamoDunningCaseRepository": "dunning_cases",
    "DynamoEntryRepository": "entries",
    "entry_from_item": "entries",
    "entry_to_item": "entries",
    "DynamoFileRepository": "files",
    "DynamoLeaseRepository": "leases",
    "lease_from_item": "leases",
    "lease_to_item": "leases",
    "DynamoLedgerRepository": "ledger",
    "ledger_line_from_item": "ledger",
    "ledger_line_to_item": "ledger",
    "DynamoLedgerWriter": "ledger_writer",
    "_balance_deltas": "ledger_writer",
    "_put_new": "ledger_writer",
    "ledger_write_items": "ledger_writer",
    "DynamoOrganisationRepository": "organisations",
    "_branding_to_item": "organisations",
    "organisation_from_item": "organisations",
    "organisation_to_item": "organisations",
    "DynamoTransactionRepository": "transactions",
    "transaction_from_item": "transactions",
    "transaction_to_item": "transactions",
}
"""Each re-exported name → the module (of this package) defining it."""


if not TYPE_CHECKING:  # the type checker reads the imports above (and flags unknown names)

    def __getattr__(name: str) -> Any:
        module = _MODULES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value  # looked up once
        return value


__all__ = [
    "COLLECTION_PREFIX",
    "_CURSOR_VERSION",
    "_KEY_EQUALS",
    "_MAX_CURSOR_CHARS",
    "_NOT_OURS",
    "BookingTables",
    "DynamoApiKeyRepository",
    "DynamoBooker",
    "DynamoDunningCaseRepository",
    "DynamoEntryRepository",
    "DynamoFileRepository",
    "DynamoLeaseRepository",
    "DynamoLedgerRepository",
    "DynamoLedgerWriter",
    "DynamoOrganisationRepository",
    "DynamoTransactionRepository",
    "StorageError",
    "_balance_deltas",
    "_batch_get",
    "_branding_to_item",
    "_d",
    "_iso",
    "_key_value_ok",
    "_plain",
    "_put_new",
    "_query_page",
    "allocations_from_item",
    "batch_write",
    "collection_key",
    "cursor_scope",
    "decision_to_item",
    "decode_cursor",
    "encode_cursor",
    "entry_from_item",
    "entry_to_item",
    "from_ddb",
    "lease_from_item",
    "lease_to_item",
    "ledger_line_from_item",
    "ledger_line_to_item",
    "ledger_write_items",
    "organisation_from_item",
    "organisation_to_item",
    "query_page",
    "to_ddb",
    "transaction_from_item",
    "transaction_to_item",
]
