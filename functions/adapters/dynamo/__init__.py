"""DynamoDB repositories: the only code that knows how records are stored.

One module per aggregate; this package re-exports their names for callers.
"""

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
