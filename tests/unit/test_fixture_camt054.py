"""Our CAMT.054 test files are valid ISO 20022 and read back as written."""

from __future__ import annotations

from lxml import etree

from functions.ingest.parsers import parse_bytes
from tests.fixtures.camt054 import Credit, camt054
from tests.unit.parsers.conftest import missing_shared, shared_dir

XSD = shared_dir() / "testdata" / "xsd" / "camt.054.001.04.xsd"
VIBAN = "FR7630004008215700000000102"
FILE = camt054(
    "FR7630004008210000420001774",
    [
        Credit("650.00", VIBAN, "M. OU MME DUPONT", "FR7610107001011234567890129", "LOYER NOV"),
        Credit("12.50", None, "Zoé Lefèvre", "FR7610107001011234567890129", rf="RF18539007547034"),
    ],
)


def test_fixture_is_schema_valid() -> None:
    if not XSD.exists():
        missing_shared(XSD)
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    doc = etree.fromstring(FILE)
    assert schema.validate(doc), schema.error_log


def test_fixture_reads_back() -> None:
    parsed = parse_bytes(FILE, "notif.xml")
    assert parsed.format == "camt.054.001.04"
    txs = [tx for _, _, tx in parsed.transactions()]
    assert [t.amount_cents for t in txs] == [65_000, 1_250]
    assert txs[0].creditor_account_iban == VIBAN
    assert txs[0].counterparty_name == "M. OU MME DUPONT"
    assert txs[1].structured_reference == "RF18539007547034"
