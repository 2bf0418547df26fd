"""Every PynamoDB model declares the table template.yaml creates.

Keys (names, HASH/RANGE, attribute types), global secondary indexes (names, keys,
projection) and TTL of each model equal its ``AWS::DynamoDB::Table`` resource; and
every table the functions use through ``Settings`` has a model (or is listed here as
kept raw, with the reason). Reads only the template: no emulator needed.
"""

from __future__ import annotations

import importlib
import pkgutil
from inspect import getmembers
from typing import Any

import pytest
from pynamodb.attributes import TTLAttribute
from pynamodb.indexes import GlobalSecondaryIndex, Index

import functions.adapters.dynamo as dynamo_package
from functions.adapters.dynamo.base import StoredModel
from infra.local.template import load_template

MODELS_BY_TABLE: dict[str, str] = {
    "OrganisationsTable": "OrganisationModel",
    "ApiKeysTable": "ApiKeyModel",
    "FilesTable": "FileModel",
    "LeasesTable": "LeaseModel",
    "LedgerTable": "LedgerLineModel",
    "EntriesTable": "EntryModel",
    "TransactionsTable": "TransactionModel",
    "DunningCasesTable": "DunningCaseModel",
    "DocumentsTable": "DocumentModel",
}
"""Template resource → the model declaring it."""

RAW_TABLES = {
    "IdempotencyTable": "written by Powertools' idempotency layer",
}


def _declared_models() -> dict[str, type[StoredModel]]:
    for info in pkgutil.iter_modules(dynamo_package.__path__):
        importlib.import_module(f"{dynamo_package.__name__}.{info.name}")
    found: dict[str, type[StoredModel]] = {}
    pending = list(StoredModel.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        if not model.Meta.table_name:  # bound copies carry a table name
            found[model.__name__] = model
    return found


def _tables() -> dict[str, dict[str, Any]]:
    resources = load_template()["Resources"]
    return {
        name: r["Properties"]
        for name, r in resources.items()
        if r["Type"] == "AWS::DynamoDB::Table"
    }


def _key_schema(attrs: dict[str, Any]) -> list[tuple[str, str]]:
    keys = [(a.attr_name, "HASH") for a in attrs.values() if a.is_hash_key]
    return keys + [(a.attr_name, "RANGE") for a in attrs.values() if a.is_range_key]


def _model_shape(model: type[StoredModel]) -> dict[str, Any]:
    attrs = model.get_attributes()
    definitions = {
        a.attr_name: a.attr_type for a in attrs.values() if a.is_hash_key or a.is_range_key
    }
    indexes = {}
    for _, index in getmembers(model, lambda o: isinstance(o, Index)):
        assert isinstance(index, GlobalSecondaryIndex), "the template declares no LSI"
        index_attrs = index.Meta.attributes
        definitions |= {
            a.attr_name: a.attr_type
            for a in index_attrs.values()
            if a.is_hash_key or a.is_range_key
        }
        projection: dict[str, Any] = {"ProjectionType": index.Meta.projection.projection_type}
        if index.Meta.projection.non_key_attributes:
            projection["NonKeyAttributes"] = list(index.Meta.projection.non_key_attributes)
        indexes[index.Meta.index_name] = {
            "keys": _key_schema(index_attrs),
            "projection": projection,
        }
    ttl = [a.attr_name for a in attrs.values() if isinstance(a, TTLAttribute)]
    return {
        "keys": _key_schema(attrs),
        "definitions": definitions,
        "indexes": indexes,
        "ttl": ttl[0] if ttl else None,
    }


def _template_shape(table: dict[str, Any]) -> dict[str, Any]:
    ttl = table.get("TimeToLiveSpecification") or {}
    return {
        "keys": [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]],
        "definitions": {
            d["AttributeName"]: d["AttributeType"] for d in table["AttributeDefinitions"]
        },
        "indexes": {
            i["IndexName"]: {
                "keys": [(k["AttributeName"], k["KeyType"]) for k in i["KeySchema"]],
                "projection": i["Projection"],
            }
            for i in table.get("GlobalSecondaryIndexes", [])
        },
        "ttl": ttl.get("AttributeName") if ttl.get("Enabled") else None,
    }


@pytest.mark.parametrize("resource", sorted(MODELS_BY_TABLE))
def test_the_model_declares_the_templates_table(resource: str) -> None:
    model = _declared_models()[MODELS_BY_TABLE[resource]]
    template = _tables()[resource]
    assert "LocalSecondaryIndexes" not in template
    assert _model_shape(model) == _template_shape(template)


def test_every_model_has_its_table_in_the_template() -> None:
    assert set(_declared_models()) == set(MODELS_BY_TABLE.values())
    assert set(MODELS_BY_TABLE) <= set(_tables())
    assert not set(MODELS_BY_TABLE) & set(RAW_TABLES)
    assert set(RAW_TABLES) <= set(_tables())


def test_every_table_of_the_template_has_a_model_or_a_reason() -> None:
    assert set(_tables()) == set(MODELS_BY_TABLE) | set(RAW_TABLES)


def test_a_changed_template_is_noticed() -> None:
    """The comparison sees a key type, an index and a TTL the model lacks."""
    template = _tables()["ApiKeysTable"]
    model = _model_shape(_declared_models()["ApiKeyModel"])
    changed = [
        template | {"AttributeDefinitions": [{"AttributeName": "key_hash", "AttributeType": "N"},
                                             {"AttributeName": "org_id", "AttributeType": "S"}]},
        template | {"GlobalSecondaryIndexes": []},
        template | {"TimeToLiveSpecification": {"AttributeName": "expires", "Enabled": True}},
    ]  # fmt: skip
    for t in changed:
        assert _template_shape(t) != model
