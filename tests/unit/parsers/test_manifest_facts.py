"""The facts MANIFEST.md states for each public sample, checked one by one.

Independent of the golden files: amounts in cents, dates ISO. ``S`` describes
a statement (``None`` fields are not checked); ``T`` names fields of one
transaction at (statement, entry, transaction); ``E`` fields of one entry.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

import pytest

from functions.core.statements import Balance, ParsedFile, Statement
from functions.ingest.parsers import parse_bytes
from tests.unit.parsers.conftest import STATEMENTS, missing_shared, shared_cases


@dataclass(frozen=True)
class S:
    entries: int
    credits: int | None = None  # sum of positive entries, cents
    debits: int | None = None  # sum of negative entries, cents (positive number)
    id: str | None = None
    account: str | None = None  # IBAN or other id
    currency: str | None = None
    opening: int | None = None
    closing: int | None = None
    opening_date: str | None = None
    closing_date: str | None = None
    transactions: int | None = None


@dataclass(frozen=True)
class Facts:
    statements: list[S]
    tx: dict[tuple[int, int, int], dict[str, Any]] = field(default_factory=dict)
    entry: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    format: str | None = None
    count: int | None = None  # number of statements, when not all are listed


GENKGO053 = S(1, 885, 0, "253EURNL26VAYB8060476890", "NL26VAYB8060476890", "EUR", 1815, -2700)
# The entry is 8.85; v3/v4's TxDtls/Amt says 105.750 and is kept as written.
GENKGO053_TX = {
    (0, 0, 0): {"counterparty_name": "NAME NAME", "structured_reference": "4654654654654654"}
}
GENKGO053_E = {
    (0, 0): {
        "amount_cents": 885,
        "booking_date": date(2014, 12, 31),
        "value_date": date(2015, 1, 2),
    }
}
CH28 = "CH2801234000123456789"
SEK_DEBIT = S(1, 0, 20000000, "AAAASESS-FP-ACCR001", CH28)

FACTS: dict[str, Facts] = {
    # --- camt.053 ---------------------------------------------------------------
    "camt053/oca-bsi__test-camt053": Facts(
        [
            S(
                3,
                140531,
                141830,
                "1234Test/1",
                "NL77ABNA0574908765",
                "EUR",
                1556827,
                1512112,
                "2014-01-05",
                "2014-01-05",
                transactions=4,
            )
        ],
        tx={
            (0, 0, 0): {
                "amount_cents": -75425,
                "counterparty_name": "INSURANCE COMPANY TESTX",
                "counterparty_iban": "NL46ABNA0499998748",
                "end_to_end_id": "435005714488-ABNO33052620",
                "remittance": "Insurance policy 857239PERIOD 01.01.2014 - 31.12.2014",
            },
            (0, 1, 0): {
                "amount_cents": -56405,
                "counterparty_name": "Test Customer",
                "end_to_end_id": "TESTBANK/NL/20141229/01206408",
                "remittance": "Direct Debit S14 0410",
                "return_reason": "AC06",
            },
            (0, 1, 1): {"amount_cents": -10000, "return_reason": "AC06"},
            (0, 2, 0): {
                "amount_cents": 140531,
                "counterparty_name": "3rd party Media",
                "end_to_end_id": "115",
                "counterparty_iban": "NL69ABNA0522123643",
            },
        },
        entry={
            (0, 0): {"booking_date": date(2014, 1, 5), "bank_transaction_code": "PMNT-RDDT-ESDD"},
            (0, 1): {
                "amount_cents": -66405,
                "reversal": True,
                "bank_transaction_code": "PMNT-IDDT-UPDD",
            },
            (0, 2): {"bank_transaction_code": "PMNT-RCDT-ESCT"},
        },
        format="camt.053.001.02",
    ),
    "camt053/oca-bsi__test-camt053-no-ntry": Facts(
        [S(0, 0, 0, "1234Test/1", "NL77ABNA0574908765", "CHF", 152076, 152076)],
        format="camt.053.001.04",
    ),
    "camt053/oca-bsi__test-camt053-bookgdt-dttm": Facts(
        [S(1, 0, 75425, "1234Test/1", "NL77ABNA0574908765", "EUR", 1556827, 1512112)],
        # 2014-01-04T23:00:00.000Z is 5 January in local (CET) time.
        entry={(0, 0): {"booking_date": date(2014, 1, 5), "value_date": date(2014, 1, 5)}},
        tx={
            (0, 0, 0): {
                "counterparty_name": "INSURANCE COMPANY TESTX",
                "end_to_end_id": "435005714488-ABNO33052620",
            }
        },
    ),
    "camt053/oca-bsi__sftp__camt053": Facts(
        [S(1, 0, 120000, "5678ABC/1", "NL12ABCD3456789012", "EUR", 7500000, None, "2024-03-03")],
        tx={
            (0, 0, 0): {
                "amount_cents": -120000,
                "counterparty_name": "Employee X",
                "end_to_end_id": "1234567890-NEWBNL2X",
                "remittance": "Salary payment for March",
            }
        },
        entry={(0, 0): {"booking_date": date(2024, 3, 2)}},
    ),
    "camt053/genkgo__camt053.v2.minimal.xml": Facts([GENKGO053], GENKGO053_TX, GENKGO053_E),
    "camt053/genkgo__camt053.v2.minimal.ultimate.xml": Facts(
        [GENKGO053], {(0, 0, 0): {"structured_reference": "4654654654654654"}}, GENKGO053_E
    ),
    "camt053/genkgo__camt053.v2.with-party-ids.xml": Facts([GENKGO053], GENKGO053_TX, GENKGO053_E),
    "camt053/genkgo__camt053.v3.xml": Facts(
        [GENKGO053], GENKGO053_TX, GENKGO053_E, format="camt.053.001.03"
    ),
    "camt053/genkgo__camt053.v4.xml": Facts(
        [GENKGO053], GENKGO053_TX, GENKGO053_E, format="camt.053.001.04"
    ),
    "camt053/genkgo__camt053.v2.all-balance-types.xml": Facts(
        [S(1, 885, 0, "CAMT0532015012200001", CH28, "EUR", 101, 404, "2015-01-21", "2015-01-22")],
        tx={(0, 0, 0): {"end_to_end_id": "000000001", "remittance": "Transaction Description"}},
    ),
    "camt053/genkgo__camt053.v2.with-account-name.xml": Facts(
        [S(1, 885, 0, "253EURCH2801234000123456789", CH28, None, None, -270000)],
        entry={(0, 0): {"booking_date": date(2014, 12, 31), "value_date": None}},
    ),
    "camt053/viafintech__053_valid_example.xml": Facts(
        [S(4, 100, 1100, "0352C5320131227220503", "DE14740618130000033626", "EUR", 3306, 2306)],
        tx={
            (0, 0, 0): {
                "amount_cents": -200,
                "counterparty_iban": "DE09300606010012345671",
                "end_to_end_id": "EndToEndReference",
                "mandate_id": "MandateReference",
                "remittance": "TEST BERWEISUNG MITTELS BLZUND KONTONUMMER - DTA",
            },
            (0, 1, 0): {"end_to_end_id": None},
        },  # NOTPROVIDED
        entry={
            (0, 0): {"bank_reference": "2013122710583450000", "booking_date": date(2013, 12, 27)}
        },
    ),
    "camt053/viafintech__053_valid_example_with_debit.xml": Facts(
        [S(4, 100, 1100, "0352C5320131227220503", "DE14740618130000033626", "EUR", -3306, 2306)]
    ),
    "camt053/viafintech__053_valid_example_v8.xml": Facts(
        [S(3, 56325, 2097, "R30B4SA880HMZ9XA", "CH1111111111111111111", "CHF", 8272195, 8451525)],
        tx={
            (0, 0, 0): {
                "amount_cents": 47440,
                "counterparty_name": "Jon Doe",
                "remittance": "INVOICE R77561",
            },
            (0, 1, 0): {
                "amount_cents": 8885,
                "counterparty_name": "Finanz AG",
                "structured_reference": "RF38000000000000000000552",
                "end_to_end_id": "435A9287E088BDB1D97FAABD181C70C8",
            },
        },
        format="camt.053.001.08",
    ),
    "camt053/viafintech__053_valid_example_with_instdamt.xml": Facts(
        [
            S(
                1,
                450000,
                0,
                "STM-C053-190720325942-06",
                "CH9788761065025111111",
                "CHF",
                10000,
                450000,
            )
        ],
        tx={(0, 0, 0): {"amount_cents": 450000, "remittance": "Praxis am Weiher"}},
    ),
    "camt053/viafintech__053_valid_example_with_other_id.xml": Facts(
        [S(0, 0, 0, "0352C5320131227220503", "ABCDE1234", "EUR", None, None)]
    ),
    "camt053/iso20022js__abn_amro_example_camt.xml": Facts(
        [
            S(
                13,
                2800,
                92800,
                "0574908765.2013-04-02",
                "NL77ABNA0574908765",
                "EUR",
                100001,
                10001,
                "2013-03-28",
                "2013-04-02",
            )
        ],
        entry={
            (0, 0): {
                "amount_cents": 100,
                "reversal": False,
                "transactions": (),
                "booking_date": date(2013, 4, 2),
                "bank_reference": "2102830989503100038",
                "bank_transaction_code": "PMNT-RCDT-NTAV",
            }
        },
        tx={
            (0, 1, 0): {
                "counterparty_name": "NAAM",
                "end_to_end_id": None,
                "remittance": "OMSCHRIJVING",
            }
        },
    ),
    "camt053/iso20022js__ing_example_camt.xml": Facts(
        [S(9, 99000, 38500, "201401030009999", "NL08INGB0000001234", "EUR", 100000, 160500)],
        entry={
            (0, 0): {
                "amount_cents": 35000,
                "bank_reference": "59999208N9",
                "bank_transaction_code": "PMNT-RCDT-ESCT",
            }
        },
        tx={
            (0, 0, 0): {
                "counterparty_name": "INGTestrekening",
                "structured_reference": "0010008346912014",
            },
            (0, 1, 0): {"remittance": "UstrdRemi2014010323566INGBankNV"},
        },
    ),
    "camt053/iso20022js__nordea_example_camt.xml": Facts(
        [
            S(
                6,
                1010050,
                150050,
                "2019-05-09-04.44.12-EUR0574",
                "FI8529501800030574",
                "EUR",
                20050,
                880050,
                "2019-05-08",
                "2019-05-08",
            )
        ],
        tx={
            (0, 0, 0): {
                "end_to_end_id": "20190501-E00005",
                "structured_reference": "00000000000000001245",
            },
            (0, 1, 0): {"end_to_end_id": None},
        },
    ),
    "camt053/iso20022js__goldman_sachs_camt_053_us_v2_sample.xml": Facts(
        [
            S(
                15,
                10000,
                6906,
                "258158850",
                "DD01100056869",
                "USD",
                -84368620,
                -84666515,
                transactions=15,
            )
        ],
        entry={
            (0, 0): {
                "amount_cents": 1000,
                "reversal": True,
                "bank_reference": "B20092800002225",
                "booking_date": date(2023, 10, 1),
            },
            (0, 1): {"amount_cents": -1000},
        },
        tx={
            (0, 0, 0): {
                "end_to_end_id": "GSGWGDNCTAHQM8",
                "remittance": "Sample Unstructured Remittance 123",
            },
            (0, 1, 0): {"counterparty_name": "GS Bank USA"},
        },
    ),
    "camt053/moov__camt.053_P_CH2909000000250094239_1110092698_0_2020112503071366.xml": Facts(
        [
            S(
                5,
                473372,
                7770,
                "20201124375204229003973",
                "CH2909000000250094239",
                "CHF",
                21199319,
                21511221,
            )
        ]
    ),
    # --- camt.054 ---------------------------------------------------------------
    "camt054/oca-bsi__test-camt054": Facts(
        [S(1, 500, 0, "20220120000000000000000", "NL77ABNA0574908765", "EUR", None, None)],
        tx={
            (0, 0, 0): {
                "amount_cents": 500,
                "counterparty_name": "Test Customer",
                "counterparty_iban": "NL46ABNA0499998748",
                "end_to_end_id": "ENDTOENDID-01",
                "structured_reference": "000000000000000000000000003",
            }
        },
        entry={
            (0, 0): {"booking_date": date(2022, 1, 26), "bank_transaction_code": "PMNT-RCDT-VCOM"}
        },
        format="camt.054.001.04",
    ),
    "camt054/genkgo__camt054.v2.xml": Facts(
        [SEK_DEBIT],
        entry={
            (0, 0): {
                "booking_date": date(2007, 10, 18),
                "value_date": date(2007, 10, 18),
                "bank_transaction_code": "PMNT-ICDT-DMCT",
            }
        },
        tx={
            (0, 0, 0): {
                "end_to_end_id": "MUELL/FINP/RA12345",
                "structured_reference": "ISR ref number V1",
                "remittance": "Unstructured Remittance Information V1",
            }
        },
    ),
    "camt054/genkgo__camt054.v4.xml": Facts(
        [S(1, 0, 20000000, "AAAASESS-FP-ACCR001", CH28, transactions=3)],
        entry={(0, 0): {"bank_transaction_code": "PMNT-ICDT-DMCT"}},
        tx={(0, 0, 0): {"remittance": "Unstructured Remittance Information V1"}},
    ),
    "camt054/genkgo__camt054.v2.with-account-name.xml": Facts(
        [SEK_DEBIT], entry={(0, 0): {"booking_date": None, "value_date": None}}
    ),
    "camt054/genkgo__camt054.v8-with-financial-institution.xml": Facts(
        [SEK_DEBIT],
        tx={(0, 0, 0): {"counterparty_name": "Example Creditor 3 - V1"}},
        format="camt.054.001.08",
    ),
    "camt054/genkgo__camt054.v8-with-UETR.xml": Facts([SEK_DEBIT]),
    "camt054/moov__200519_camt.054-Credit_P_CH2909000000250094239_1110092691_0_2019042421291293.xml": Facts(  # noqa: E501
        [S(1, 150000, 0, "20190424375204223076553", "CH2909000000250094239", "CHF")],
        entry={(0, 0): {"booking_date": date(2019, 4, 24), "value_date": date(2019, 4, 25)}},
    ),
    "camt054/moov__200519_camt.054-Debit_P_CH2909000000250094239_1110092692_0_2019042401501580.xml": Facts(  # noqa: E501
        [S(1, 0, 91300, "20190424375204222704047", "CH2909000000250094239", "CHF")],
        tx={(0, 0, 0): {"end_to_end_id": "20190424001255000100006"}},
    ),
    "camt054/moov__200519_camt.054_P_CH2909000000250094239_1111091335_0_2020061900081727.xml": Facts(  # noqa: E501
        [
            S(
                1,
                169222,
                0,
                "20200618375204295372465",
                "CH2909000000250094239",
                "CHF",
                transactions=2,
            )
        ],
        tx={
            (0, 0, 0): {
                "counterparty_name": "Bernasconi Maria",
                "end_to_end_id": "1006265-aic5dL-75dzf3jk9-cf2d5e9",
                "structured_reference": "539115429773825311971477453",
            }
        },
    ),
    "camt054/moov__200519_camt054-epo_p_ch5109000000250092291_1110097605_0_2019052003522556.xml": Facts(  # noqa: E501
        [S(1, 0, 75000, "20190520375204226588201", "CH5109000000250092291", "CHF", transactions=3)],
        tx={
            (0, 0, 0): {
                "end_to_end_id": "EndToEndId-001-02-01",
                "structured_reference": "120000000000234478943216899",
            }
        },
    ),
    "camt054/moov__200519_camt054-chdd_p_ch2909000000250094239_1110097484_0_20190520700381159.xml": Facts(  # noqa: E501
        [S(1, 450, 0, "20190516375204228751070", "CH2909000000250094239", "CHF", transactions=2)],
        tx={
            (0, 0, 0): {
                "counterparty_name": "Maria Bernasconi",
                "end_to_end_id": "E2EId-CHDD-1",
                "remittance": "Rechnung 1001",
            }
        },
    ),
    "camt054/tryton__camt.054.001.02.xml": Facts(
        [S(1, 10567850, 0, "AAAASESS-FP-CN-98765", "50000000054910000003", "SEK")],
        entry={(0, 0): {"booking_date": date(2010, 10, 18), "value_date": date(2010, 10, 18)}},
        tx={(0, 0, 0): {"counterparty_name": "MUELLER", "end_to_end_id": "MUELL/FINP/RA12345"}},
        format="camt.054.001.02",
    ),
    # --- camt.052 ---------------------------------------------------------------
    "camt052/genkgo__camt052.v2.xml": Facts(
        [SEK_DEBIT],
        entry={(0, 0): {"booking_date": date(2007, 10, 18), "value_date": date(2007, 10, 18)}},
        format="camt.052.001.02",
    ),
    "camt052/genkgo__camt052.v2.with-account-name.xml": Facts([SEK_DEBIT]),
    "camt052/genkgo__camt052.v2.other-account.xml": Facts([SEK_DEBIT]),
    "camt052/genkgo__camt052.v4.xml": Facts(
        [SEK_DEBIT],
        entry={(0, 0): {"status": "PDNG"}},
        tx={
            (0, 0, 0): {
                "end_to_end_id": "UXC06140000015PI00001EE00001",
                "remittance": "Example Remittance - 4 - V1",
            }
        },
    ),
    "camt052/genkgo__camt052.v6.xml": Facts(
        [SEK_DEBIT],
        entry={(0, 0): {"status": "PDNG"}},
        tx={(0, 0, 0): {"remittance": "Example Remittance - 6 - V1"}},
    ),
    "camt052/genkgo__camt052.v8.xml": Facts(
        [S(1, 0, 20000000, "AAAASESS-FP-ACCR001", CH28, transactions=1)],
        entry={(0, 0): {"transactions": (), "booking_date": date(2007, 10, 18)}},
    ),
    "camt052/viafintech__052_valid_example.xml": Facts(
        [S(2, 500, 0, "0352C5220131227110203", "DE58740618130100033626", "EUR", 850, 1350)],
        tx={
            (0, 0, 0): {"counterparty_name": "Testkonto Nummer 1"},
            (0, 1, 0): {"end_to_end_id": None},
        },
    ),
    "camt052/moov__200519_camt.052_P_CH2909000000250094239_1110092686_0_2019042416072347.xml": Facts(  # noqa: E501
        [S(2, 0, 101600, "20190424375204223062174", "CH2909000000250094239", "CHF", 20850919)],
        tx={(0, 1, 0): {"end_to_end_id": "20190423001255000100006"}},
    ),
    # --- SDD returns ------------------------------------------------------------
    "sdd_returns/oca-pay__test-sepa-camt-unpaid.xml": Facts(
        [S(1, 0, 10000, "ZY08XXXXXXIS634C", "NL77ABNA0574908765", "EUR")],
        tx={
            (0, 0, 0): {
                "amount_cents": -10000,
                "counterparty_name": "DEBTOR4",
                "end_to_end_id": "E2EID1",
                "original_end_to_end_id": "E2EID1",
                "mandate_id": "MANDATEID2",
                "return_reason": "AC06",
                "remittance": "FACTURE DU 15.03.16",
            }
        },
        entry={(0, 0): {"booking_date": date(2016, 10, 8)}},
    ),
    "sdd_returns/moov__camt054-returns_p_ch5109000000250092291_1110097606_0_2020112500512470.xml": Facts(  # noqa: E501
        [S(1, 50000, 0, "20201124375204228763930", "CH5109000000250092291", "CHF")],
        entry={(0, 0): {"reversal": True}},
        tx={
            (0, 0, 0): {
                "counterparty_name": "Robert Schneider SA",
                "return_reason": "AC01",
                "original_end_to_end_id": "EndToEndId-001-03-04",
                "remittance": "Kontouebertrag",
            }
        },
    ),
    # --- CFONB 120 --------------------------------------------------------------
    "cfonb120/pennylane__example.txt": Facts(
        [
            S(
                3,
                0,
                5081,
                None,
                "FR7615589000009876543210088",
                "EUR",
                -19040,
                -24121,
                "2019-05-15",
                "2019-05-16",
            ),
            S(
                3,
                9749,
                2000,
                None,
                "FR7618706000000012345678954",
                "EUR",
                -24121,
                -16372,
                "2019-05-16",
                "2019-05-17",
            ),
        ],
        entry={
            (0, 0): {
                "amount_cents": -3221,
                "booking_date": date(2019, 5, 16),
                "value_date": date(2019, 5, 16),
                "bank_transaction_code": "B1",
            },
            (0, 2): {"amount_cents": -790, "booking_date": date(2019, 5, 15)},
            (1, 0): {"amount_cents": 9749, "value_date": date(2019, 5, 15)},
        },
        tx={
            (0, 0, 0): {"counterparty_name": "INTERNET SFR", "end_to_end_id": "OTHER REFERENCE"},
            (0, 1, 0): {"counterparty_name": "ELEC ERDF"},
        },
    ),
    "cfonb120/pennylane__operation.txt": Facts(
        [S(1, 0, 3221, None, None, "EUR", None, None)],
        tx={(0, 0, 0): {"counterparty_name": "INTERNET SFR"}},
        entry={(0, 0): {"booking_date": date(2019, 5, 16), "bank_reference": "REFERENCE"}},
    ),
    "cfonb120/silarhi__simple-test.txt": Facts(
        [S(0, 0, 0, None, None, "EUR", 1669565, 1669565, "2020-04-03", "2020-04-06")]
    ),
    "cfonb120/silarhi__complex-test.txt": Facts(
        [
            S(1, 0, 2279, opening=1669565, closing=1667286),
            S(2, 0, 502011, opening=1667286, closing=1165275),
            S(0, 0, 0, opening=1165275, closing=1165275),
            S(1, 0, 11775, opening=1165275, closing=1153500),
            S(0, 0, 0, opening=1153500),
            S(1, 0, 5025, closing=1148475),
            S(0, 0, 0, opening=1148475),
            S(0, 0, 0, opening=58435302, closing=58435302),
        ],
        entry={
            (0, 0): {"booking_date": date(2020, 4, 7)},
            (3, 0): {"booking_date": date(2020, 4, 10), "value_date": date(2020, 4, 1)},
        },
        tx={
            (0, 0, 0): {"remittance": "PRLV SEPA ONLINE SAS DEDIBOX 3706114"},
            (1, 1, 0): {"amount_cents": -500000},
        },
    ),
    # --- MT940 ------------------------------------------------------------------
    "mt940/wolph__jejik_abnamro.sta": Facts(
        [
            S(8, 0, 32144, "ABN AMRO BANK NV", "517852257", "EUR", 323628, 87684),
            S(2, 0, 2449, opening=287684, closing=184975),
        ],
        entry={
            (0, 0): {"amount_cents": -900, "value_date": date(2011, 5, 24)},
            (0, 1): {
                "amount_cents": -1159,
                "value_date": date(2011, 5, 21),
                "booking_date": date(2011, 5, 23),
            },
        },
    ),
    "mt940/wolph__jejik_ing.sta": Facts([S(7, 468, 5027, "MPBZ", "0001234567", "EUR", 0, 347)]),
    "mt940/wolph__jejik_knab.sta": Facts(
        [
            S(1, 50000, 0, "B4E08MS9D00A0009", "123456789", "EUR", 0, 50000),
            S(2, 50000, 726000, "B4G30MS9D00A003D", opening=305898, closing=79898),
        ],
        entry={(0, 0): {"booking_date": date(2014, 5, 7)}},
    ),
    "mt940/wolph__jejik_rabobank-iban.sta": Facts(
        [
            S(2, 0, 3500, "940S130101", "NL71RABO0123456789", "EUR", 100000, 96500),
            S(2, 0, 3500, opening=96500, closing=93000),
        ],
        tx={(0, 1, 0): {"counterparty_name": "JOHN DOE", "remittance": "Reference 201301234"}},
    ),
    "mt940/wolph__jejik_sns.sta": Facts(
        [
            S(2, 0, 2500, "0000000000", "0123456789", "EUR", 123456, 120956),
            S(0, 0, 0, opening=120956, closing=120956),
        ],
        entry={(0, 0): {"value_date": date(2012, 6, 7), "booking_date": date(2012, 6, 8)}},
    ),
    "mt940/wolph__jejik_triodos.sta": Facts(
        [S(2, 0, 71570, "1308728725026/1", "TRIODOSBANK/0390123456", "EUR", 497509, 437079)]
    ),
    "mt940/wolph__jejik_postfinance.sta": Facts(
        [
            S(2, 22920, 0, "2014040708285927", "123456789", "CHF", 0, 22920),
            S(2, 1010, 7990, "2014040708285928", opening=22920, closing=15960),
        ]
    ),
    "mt940/wolph__jejik_generic.sta": Facts(
        [
            S(1, 0, 1000, "GENERIC", "11111111", "EUR", 10000, 9000),
            S(1, 0, 1000, opening=9000, closing=8000),
        ]
    ),
    "mt940/wolph__cmxl_mt940.sta": Facts(
        [
            S(11, 4939674, 4930944, "131110", "45050050/76198810", "DEM", 8434974, 8443704),
            S(2, 300000, 80000, "1234567", "10020030/1234567", "EUR", 218795, 438795),
            S(
                3,
                2004000,
                1000000,
                "TELEWIZORY S.A.",
                "BPHKPLPK/320000546101",
                "PLN",
                4000000,
                5004000,
            ),
        ],
        entry={(0, 0): {"amount_cents": -680000, "value_date": date(2013, 10, 17)}},
    ),
    "mt940/wolph__mBank_mt940.sta": Facts(
        [S(3, 3, 0, "ST170119CYC/1", "PL29114010810000267002001002", "PLN", 40, 43)],
        entry={(0, 0): {"bank_reference": "MB170119012058"}},
    ),
    "mt940/wolph__selfprovided_sparkassen.sta": Facts(
        [S(1, 3000, 0)],
        entry={(0, 0): {"value_date": date(2018, 11, 26)}},
        tx={(0, 0, 0): {"remittance": "Test"}},
    ),
    "mt940/wolph__selfprovided_gv_codes.sta": Facts(
        [S(2, 0, 25745, "STARTUMS", "12345678/1020304050", "EUR", 1234512)],
        tx={
            (0, 0, 0): {
                "counterparty_name": "PayPal (Europe) S.a.r.l. et",
                "mandate_id": "12AB234CD6E7F",
            }
        },
        entry={(0, 1): {"value_date": date(2019, 10, 25)}},
    ),
    "mt940/oca-bsi__test-ing.940": Facts(
        [S(8, 3658, 13446, "P140220000000001", "NL77INGB0574908765", "EUR", 66223, 56435)],
        tx={
            (0, 0, 0): {
                "amount_cents": 156,
                "counterparty_iban": "NL32INGB0000012345",
                "end_to_end_id": "EV12341REP1231456T1234",
            }
        },
        entry={(0, 0): {"value_date": date(2014, 2, 20)}},
    ),
    "mt940/oca-bsi__test-rabo.swi": Facts(
        [
            S(1, 40000, 0, "940S140102", "NL34RABO0142623393", "EUR", 443352, 483352),
            S(0, 0, 0, "940S140103"),
            S(1, 0, 3461, "940S140106"),
            S(0, 0, 0, "940S140107", closing=479891),
        ],
        tx={
            (0, 0, 0): {"counterparty_iban": "NL66RABO0160878799", "counterparty_name": "R. SMITH"}
        },
        entry={(0, 0): {"value_date": date(2014, 1, 2)}},
    ),
    "mt940/oca-bsi__test-sns.940": Facts(
        [
            S(4, 0, 76244, opening=302696, closing=226452),
            S(2, 0, 1095, opening=226452, closing=225357),
            S(2, 0, 94229, opening=225357, closing=None),
        ]
    ),
    "mt940/kingsquare__Abn_sample": Facts(
        [
            S(2, 0, 21050, opening=1736999, closing=1715949),
            S(1, 0, 102791),
            S(1, 0, 1945),
            S(1, 2511108, 0, account="485082713"),
        ],
        entry={(0, 0): {"amount_cents": -750}},
    ),
    "mt940/kingsquare__Spk_sample": Facts(
        [S(4, 51200, 0), S(4, 31000, 1668), S(1, 10000, 0), S(1, 1000, 0)],
        entry={(0, 0): {"amount_cents": 8000}},
    ),
    "mt940/kingsquare__Triodos_sample": Facts(
        [
            S(4, 15000, 30000, account="TRIODOSBANK/0666666666", opening=100000, closing=85000),
            S(4, 15000, 9098, account="TRIODOSBANK/0999999999", opening=95012, closing=100914),
        ]
    ),
    "mt940/kingsquare__Kontist_sample": Facts(
        [S(6, 51595, 12019, "KONTISTEXPORT", "DE85110101002482488293", "EUR", 15, 39591)],
        entry={(0, 0): {"amount_cents": 5000, "booking_date": date(2021, 2, 15)}},
    ),
    "mt940/kingsquare__Knab_sample": Facts(
        [S(5, 0, 15184, opening=100021, closing=94521)],
        tx={
            (0, 1, 0): {"counterparty_iban": "NL52RABO0326203011", "counterparty_name": "SOME NAME"}
        },
    ),
    "mt940/kingsquare__Knab_sample2": Facts(
        [S(1, 56742, 0, opening=1249007, closing=1305749)],
        tx={(0, 0, 0): {"counterparty_name": "STRIPE PAYMENTS UK LTD"}},
    ),
    "mt940/zilverline__deutsche_bank.txt": Facts(
        [S(2, 400, 0, "DEUTDEFFXXXX", "233025/40069462", "EUR", 0, 587)],
        entry={
            (0, 0): {
                "amount_cents": 399,
                "value_date": date(2014, 3, 25),
                "booking_date": date(2014, 3, 26),
                "bank_reference": "8848037917407749",
            }
        },
        tx={
            (0, 0, 0): {
                "counterparty_name": "PETRA TESTER",
                "counterparty_iban": "DE422938944551657098369",
                "end_to_end_id": None,
            },
            (0, 1, 0): {
                "counterparty_name": "PETER TESTER",
                "counterparty_iban": "DE04400694620000233025",
            },
        },
    ),
    "mt940/zilverline__ing_mt940_iban.txt": Facts(
        [S(21, 1464000, 1483045, "P123456000000001", "NL68INGB0000012345", "EUR", 43690, 24645)],
        tx={
            (0, 0, 0): {
                "remittance": "22-08-2014 Omschrijving",
                "counterparty_name": "B Bert",
                "counterparty_iban": "NL57ABNA0876543211",
            },
            (0, 18, 0): {"remittance": "Mijn fee"},
        },
    ),
    "mt940/zilverline__rabobank.txt": Facts(
        [
            S(
                1,
                0,
                5000,
                "940A121001",
                "2121.21.211EUR",
                "EUR",
                1743167,
                1738167,
                "2012-09-28",
                "2012-10-01",
            ),
            S(0),
        ],
        tx={
            (0, 0, 0): {
                "counterparty_name": "J. DOE",
                "remittance": "Incasso deposit Savings Account",
            }
        },
        count=23,
    ),
    "mt940/zilverline__ing_structured.txt": Facts(
        [
            S(
                7,
                70000,
                751600,
                "MPBZ",
                "0001234567",
                "EUR",
                50000,
                40000,
                "2013-06-30",
                "2013-10-01",
            )
        ],
        entry={(0, 1): {"amount_cents": 30000, "value_date": date(2013, 7, 1)}},
    ),
    "mt940/zilverline__rabobank_mt940_structured.txt": Facts(
        [
            S(
                2,
                16990,
                12750,
                "940S130403",
                "NL50RABO0123456789",
                "EUR",
                114795,
                119035,
                "2013-04-02",
                "2013-04-03",
            ),
            S(7, 1904661, 139062, "940S130404", opening=119035, closing=1884634),
        ],
        tx={(0, 0, 0): {"amount_cents": -12750}},
    ),
    "mt940/mt940rs__danskebank_MT940_DK_Example.sta": Facts(
        [
            S(
                7,
                718349,
                83201503,
                "3996-1234567890",
                "DABADKKK/1234567890",
                "DKK",
                247892670,
                165409516,
                "2009-09-24",
                "2009-09-30",
            ),
            S(3, 99375, 7576541, opening=165409516, closing=157932350),
        ],
        entry={(0, 0): {"amount_cents": -82941978, "value_date": date(2009, 9, 29)}},
        count=15,
    ),
    "mt940/mt940rs__danskebank_MT940_FI_Example.sta": Facts(
        [S(6, 23, 135733, "3996-11-11111111", "DABADKKK/111111-11111111", "EUR", 5448404, 5312694)],
        entry={
            (0, 0): {
                "amount_cents": 23,
                "value_date": date(2009, 10, 1),
                "booking_date": date(2009, 9, 30),
            }
        },
    ),
    "mt940/mt940rs__sparkasse_buxtehude.sta": Facts(
        [
            S(
                3,
                0,
                14104,
                "STARTUMSE",
                "20752041/0291593375",
                "EUR",
                1356413,
                1352309,
                "2018-11-26",
                "2018-11-27",
            )
        ],
        entry={(0, 0): {"amount_cents": -11935, "value_date": date(2018, 11, 27)}},
        tx={
            (0, 0, 0): {
                "remittance": "basically some information here lots of information then some"
            }
        },
    ),
}


def _rejects(parsed: ParsedFile) -> list[tuple[str | None, int | None, str | None]]:
    return [(r.original_end_to_end_id, r.amount_cents, r.reason) for r in parsed.rejects]


REJECTS: dict[str, list[tuple[str | None, int | None, str | None]]] = {
    "pain002/oca-pay__test-sepa-pain-unpaid.xml": [
        ("E2EID1", 10000, "AC01"),
        ("E2EID2", 10000, "MS02"),
        ("E2EID3", 10000, "MD06"),
        ("E2EID4", 10000, "AM04"),
    ],
    "pain002/iso20022js__nordea_pain_002_v3_group_reject.xml": [(None, None, "DU01")],
    "pain002/iso20022js__nordea_pain_002_v3_txn_reject.xml": [
        ("ENDTOENDID-950-TEST2-2807-02", None, "NARR"),
        ("ENDTOENDID-950-TEST2-2807-01", None, "NARR"),
    ],
    "pain002/iso20022js__goldman_sachs_pain_002_v3_accepted.xml": [],
    "pain002/iso20022js__goldman_sachs_pain_002_v3_group_accepted.xml": [],
    "pain002/iso20022js__cross_river_pain_002_transaction_rejected.xml": [
        ("sanity-10-1-12-1-21", None, "NARR"),
        ("example01234567", None, "NARR"),
        ("example012345678", None, "NARR"),
    ],
    "pain002/iso20022js__cross_river_pain_002_credit_accepted.xml": [],
    "pain002/moov__pain002-epo_p_0_0_0_2018032614401842.xml": [(None, None, "AM10")],
    "pain002/moov__pain002-epo_p_ch5109000000250092291_1110097605_0_2018031511252307.xml": [
        ("EndToEndId-001-03-04", None, "AC01")
    ],
    "pain002/moov__pain002-epo_p_0_0_0_2018031510491259.xml": [],
}


def _parse(relative: str) -> ParsedFile:
    if not STATEMENTS.is_dir():
        missing_shared(STATEMENTS)
    path = STATEMENTS / relative
    return parse_bytes(path.read_bytes(), path.name)


def _balance(balance: Balance | None) -> tuple[int | None, str | None]:
    if balance is None:
        return None, None
    return balance.amount_cents, balance.date.isoformat() if balance.date else None


def _seen(st: Statement, want: S) -> S:
    """What the parser gives for the fields ``want`` checks (``None`` for
    the others), so that one comparison shows every difference."""
    opening, opening_date = _balance(st.opening_balance)
    closing, closing_date = _balance(st.closing_balance)
    accounts = (st.account_iban, st.account_other_id)
    seen = S(
        entries=len(st.entries),
        credits=sum(e.amount_cents for e in st.entries if e.amount_cents > 0),
        debits=-sum(e.amount_cents for e in st.entries if e.amount_cents < 0),
        id=st.id,
        # The account is either the IBAN or the other id.
        account=want.account if want.account in accounts else repr(accounts),
        currency=st.currency,
        opening=opening,
        closing=closing,
        opening_date=opening_date,
        closing_date=closing_date,
        transactions=sum(max(1, len(e.transactions)) for e in st.entries),
    )
    unchecked = {f.name: None for f in fields(S) if getattr(want, f.name) is None}
    return replace(seen, **unchecked)


def _wanted(want: S) -> S:
    """``want`` with its dates spelled as :meth:`date.isoformat` spells them."""
    days = {
        name: date.fromisoformat(value).isoformat()
        for name in ("opening_date", "closing_date")
        if (value := getattr(want, name)) is not None
    }
    return replace(want, **days)


@pytest.mark.usefixtures("shared_statements")
@pytest.mark.parametrize("relative", shared_cases(FACTS))
def test_manifest_facts(relative: str) -> None:
    facts = FACTS[relative]
    parsed = _parse(relative)
    if facts.format:
        assert parsed.format == facts.format
    assert len(parsed.statements) == (facts.count or len(facts.statements))
    for st, want in zip(parsed.statements, facts.statements, strict=False):
        assert _seen(st, want) == _wanted(want)
    for (s, e), entry_fields in facts.entry.items():
        entry = parsed.statements[s].entries[e]
        assert {name: getattr(entry, name) for name in entry_fields} == entry_fields, (s, e)
    for (s, e, t), tx_fields in facts.tx.items():
        tx = parsed.statements[s].entries[e].transactions[t]
        assert {name: getattr(tx, name) for name in tx_fields} == tx_fields, (s, e, t)


@pytest.mark.usefixtures("shared_statements")
@pytest.mark.parametrize("relative", shared_cases(REJECTS))
def test_manifest_rejects(relative: str) -> None:
    parsed = _parse(relative)
    assert parsed.statements == ()
    assert _rejects(parsed) == REJECTS[relative]


def test_pain002_mandates() -> None:
    parsed = _parse("pain002/oca-pay__test-sepa-pain-unpaid.xml")
    assert [r.mandate_id for r in parsed.rejects] == [
        "MANDATEID1",
        "MANDATEID2",
        "MANDATEID3",
        "MANDATEID4",
    ]
