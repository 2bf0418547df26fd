"""The dunning steps on the AWS emulator, through the real notify handler.

E-mails and SMS are read back from moto's SES and SNS backends, the letter from
the documents bucket; cases from DunningCasesTable.
"""

from __future__ import annotations

import json
import re
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends
from moto.sns.models import sns_backends

from functions.adapters.dunning_cases import DynamoDunningCaseRepository
from functions.adapters.dynamo import (
    DynamoLeaseRepository,
    DynamoLedgerWriter,
    DynamoOrganisationRepository,
)
from functions.adapters.settings import Settings
from functions.core.dunning import CaseStatus, DunningPolicy, open_case
from functions.core.lease import Lease, Tenant
from functions.core.ledger import LedgerLine, LineKind
from functions.core.messages import sms_number
from functions.core.money import format_cents_fr
from functions.core.organisation import Organisation
from functions.core.rf import format_rf
from functions.core.viban import VirtualIbanRange, format_iban
from functions.leases.service import LeaseService, RentCall

pytestmark = pytest.mark.integration

REGION = "eu-west-3"
TODAY = datetime.now(UTC).date()


class _Context:
    function_name = "notify"
    memory_limit_in_mb = 1024
    invoked_function_arn = f"arn:aws:lambda:{REGION}:{DEFAULT_ACCOUNT_ID}:function:notify"
    aws_request_id = "req-notify"


# ------------------------------------------------------------------ fixtures


def metropolitan_mobile(seed: int) -> tuple[str, str]:
    """A unique French mobile number in metropolitan France: national form and E.164.

    The number is ``06 1x xx xx xx``. Any ``06`` number will not do: ``0639`` (Mayotte),
    ``0690``-``0691`` (Guadeloupe), ``0692``-``0693`` (La Réunion), ``0694`` (Guyane) and
    ``0696``-``0697`` (Martinique) are overseas mobiles, rightly sent to ``+262``, ``+590``,
    ``+594`` or ``+596``, so a random ``+336…`` expectation missed them one time in twelve.
    """
    digits = f"1{seed % 10**7:07d}"
    return f"06 {digits}", f"+336{digits}"


def test_the_fixture_mobile_numbers_are_sent_where_the_fixture_expects() -> None:
    for seed in range(0, 10**7, 9_973):
        phone, mobile = metropolitan_mobile(seed)
        assert sms_number(phone) == mobile


def test_random_06_numbers_are_not_all_metropolitan() -> None:
    """Why the fixture above pins its prefix (the cause of an old flaky failure)."""
    assert sms_number("06 90 12 34 56") == "+590690123456"
    assert sms_number("06 39 12 34 56") == "+262639123456"


@pytest.fixture(scope="module")
def notify(emulator: Any) -> Any:
    """The handler module, imported once the emulator's environment is set."""
    from functions.notify import handler

    return handler


@dataclass
class Landlord:
    org_id: str
    leases: dict[str, Lease]
    settings: Settings
    email: str  # lease A's tenant: unique, as the emulator is shared by the session
    mobile: str  # the same, in E.164

    def lease(self, lease_id: str) -> Lease:
        return DynamoLeaseRepository(self.settings.leases_table).get(self.org_id, lease_id)

    def pay(self, lease_id: str, cents: int) -> None:
        lease = self.lease(lease_id)
        line = LedgerLine(
            self.org_id,
            lease_id,
            f"{TODAY}#payment#{uuid.uuid4().hex}",
            LineKind.PAYMENT,
            TODAY,
            -cents,
            "Virement",
            "test",
            datetime.now(UTC),
        )
        writer = DynamoLedgerWriter(self.settings.ledger_table, self.settings.leases_table)
        assert writer.post([line], {lease_id: lease})


def _lease(org_id: str, lease_id: str, **kw: Any) -> Lease:
    return Lease(
        org_id,
        lease_id,
        kw.pop("tenants"),
        "Résidence Les Tilleuls",
        "Villeurbanne",
        "Apt 12",
        date(2024, 1, 1),
        50_000,
        6_000,
        viban="",
        rf_reference="",
        **kw,
    )


@pytest.fixture
def landlord(settings: Settings) -> Landlord:
    """A landlord of its own, its leases and their rent calls.

    A: owes one month due 40 days ago (a case opens); B: paid; C: owes 10 € (below
    the threshold); D: due 2 days ago (still in the grace days); E: owes, no
    e-mail and no mobile, e-delivery consent.
    """
    org_id = f"org-{uuid.uuid4().hex[:8]}"
    orgs = DynamoOrganisationRepository(settings.organisations_table)
    orgs.put(
        Organisation(
            org_id,
            "Habitat Rhône Social",
            "FR7630004008210000420001774",
            VirtualIbanRange("30004", "00821", str(uuid.uuid4().int)[:4], "BNPAFRPP"),
        )
    )
    service = LeaseService(
        orgs,
        DynamoLeaseRepository(settings.leases_table),
        DynamoLedgerWriter(settings.ledger_table, settings.leases_table),
    )
    leases = {}
    phone, mobile = metropolitan_mobile(uuid.uuid4().int)
    email = f"awa.diallo.{org_id}@example.fr"
    awa = {"tenants": (Tenant("Awa DIALLO", email, phone),)}
    specs: dict[str, tuple[dict[str, Any], int, int]] = {
        "A": (awa, 40, 0),
        "B": (awa, 40, 56_000),
        "C": (awa, 40, 55_000),
        "D": (awa, 2, 0),
        "E": (
            {
                "tenants": (Tenant("Jean MARTIN", None, "04 72 00 00 00"),),
                "e_delivery_consent": True,
            },
            40,
            0,
        ),
    }
    result = Landlord(org_id, leases, settings, email, mobile)
    for lease_id, (extra, days_ago, paid) in specs.items():
        _, created = service.register(_lease(org_id, lease_id, **extra))
        assert created
        due = TODAY - timedelta(days=days_ago)
        assert service.post_rent_call(
            RentCall(org_id, lease_id, f"RC-{lease_id}", f"{due:%Y-%m}", due, 50_000, 6_000, 0)
        )
        if paid:
            result.pay(lease_id, paid)
        leases[lease_id] = result.lease(lease_id)
    return result


def _sent_emails(to: str) -> list[Any]:
    messages = list(ses_backends[DEFAULT_ACCOUNT_ID][REGION].sent_messages)
    return [m for m in messages if to in m.destinations.get("ToAddresses", [])]


def _sent_sms(phone: str) -> list[str]:
    # a snapshot: workflows of earlier tests may be sending from their threads meanwhile
    sms = list(sns_backends[DEFAULT_ACCOUNT_ID][REGION].sms_messages.values())
    return [text for number, text in sms if number == phone]


def _executions(emulator: Any, settings: Settings, name: str) -> list[dict[str, Any]]:
    sfn = emulator.client("stepfunctions")
    pages = sfn.get_paginator("list_executions").paginate(
        stateMachineArn=settings.dunning_state_machine_arn
    )
    return [e for page in pages for e in page["executions"] if e["name"] == name]


@pytest.fixture
def stop_executions(emulator: Any, settings: Settings) -> Iterator[list[str]]:
    """Executions a test starts are stopped at its end (their Wait states would linger)."""
    arns: list[str] = []
    yield arns
    sfn = emulator.client("stepfunctions")
    for arn in arns:
        if sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            sfn.stop_execution(executionArn=arn)


def _pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF whose objects may sit in compressed object streams."""
    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![s\w])", c)) for c in chunks)


def _invoke(notify: Any, event: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = notify.lambda_handler(event, _Context())
    json.dumps(result)  # a task result must be JSON
    return result


def _open_case_for(landlord: Landlord, lease_id: str) -> dict[str, str]:
    """A case of lease ``lease_id`` stored as open_cases would, without an execution."""
    lease = landlord.lease(lease_id)
    case = open_case(
        landlord.org_id,
        lease_id,
        lease.balance_cents,
        TODAY - timedelta(days=40),
        datetime.now(UTC),
    )
    stored, created = DynamoDunningCaseRepository(landlord.settings.dunning_table).open(case)
    assert created
    return {"org_id": landlord.org_id, "lease_id": lease_id, "case_id": stored.case_id}


# ------------------------------------------------------------------ tests


def test_open_cases_opens_one_case_per_lease_in_arrears_once(
    emulator: Any,
    notify: Any,
    landlord: Landlord,
    settings: Settings,
    stop_executions: list[str],
) -> None:
    event = {"action": "open_cases", "org_ids": [landlord.org_id]}
    counts = _invoke(notify, event)
    assert counts["opened"] == 2  # A and E; not B (paid), C (10 €), D (grace days)
    assert counts["started"] == 2

    cases = DynamoDunningCaseRepository(settings.dunning_table)
    open_refs = cases.open_cases(landlord.org_id)
    assert set(open_refs) == {"A", "E"}
    for ref in open_refs.values():
        case = cases.get(landlord.org_id, ref.case_id)
        assert case.status is CaseStatus.OPEN
        runs = _executions(emulator, settings, ref.case_id)
        assert len(runs) == 1
        stop_executions.append(runs[0]["executionArn"])
        assert case.execution_arn == runs[0]["executionArn"]
        started = emulator.client("stepfunctions").describe_execution(
            executionArn=runs[0]["executionArn"]
        )
        payload = json.loads(started["input"])
        assert payload["case_id"] == ref.case_id
        assert payload["lease_id"] == ref.lease_id
        # the rent was due 40 days ago: reminder 1 at once, then 10, 10, 15 days
        assert payload["delays"] == {
            "reminder_1": 0,
            "reminder_2": 864000,
            "letter": 864000,
            "referral": 1296000,
        }

    again = _invoke(notify, event)
    assert again["opened"] == 0
    assert again["started"] == 0
    assert again["open"] == 2
    for ref in open_refs.values():
        assert len(_executions(emulator, settings, ref.case_id)) == 1


def test_reminders_go_by_email_and_sms_once(notify: Any, landlord: Landlord) -> None:
    case = _open_case_for(landlord, "A")
    lease = landlord.lease("A")
    checked = _invoke(notify, {"action": "check_balance", **case})
    assert checked == {"in_arrears": True, "balance_cents": 56_000}

    result = _invoke(notify, {"action": "send_reminder", "level": 1, **case, "balance_cents": 1})
    assert result["emails_sent"] == 1
    assert result["sms_sent"] == 1

    emails = _sent_emails(landlord.email)
    assert len(emails) == 1
    body = emails[0].body
    assert format_cents_fr(56_000) in emails[0].subject
    assert format_cents_fr(56_000) in body
    assert format_iban(lease.viban) in body
    assert format_rf(lease.rf_reference) in body
    assert f"{landlord.settings.portal_base_url.rstrip('/')}/?ref={lease.rf_reference}" in body
    assert "conseillère sociale" in body
    sms = _sent_sms(landlord.mobile)
    assert len(sms) == 1
    assert "560,00 €" in sms[0]
    assert f"?ref={lease.rf_reference}" in sms[0]

    # a retried task sends nothing twice
    again = _invoke(notify, {"action": "send_reminder", "level": 1, **case})
    assert again["skipped"] is True
    assert len(_sent_emails(landlord.email)) == 1
    assert len(_sent_sms(landlord.mobile)) == 1

    second = _invoke(notify, {"action": "send_reminder", "level": 2, **case})
    assert second["emails_sent"] == 1
    assert "Rappel" in _sent_emails(landlord.email)[-1].subject


def test_letter_is_a_pdf_in_the_safe_marked_for_print(
    emulator: Any, notify: Any, landlord: Landlord, settings: Settings
) -> None:
    case = _open_case_for(landlord, "A")
    result = _invoke(notify, {"action": "send_letter", **case})
    key = f"{landlord.org_id}/A/{TODAY.isoformat()}-relance.pdf"
    assert result["document_key"] == key
    assert result["delivery"] == "print"  # no e-delivery consent

    s3 = emulator.client("s3")
    obj = s3.get_object(Bucket=settings.documents_bucket, Key=key)
    pdf = obj["Body"].read()
    assert pdf.startswith(b"%PDF-")
    assert _pdf_pages(pdf) >= 1
    assert obj["ContentType"] == "application/pdf"
    assert obj["Metadata"] == {"delivery": "print"}

    assert _invoke(notify, {"action": "send_letter", **case})["skipped"] is True


def test_consenting_tenant_without_channels_gets_the_letter_in_the_safe_only(
    emulator: Any, notify: Any, landlord: Landlord, settings: Settings
) -> None:
    case = _open_case_for(landlord, "E")
    reminder = _invoke(notify, {"action": "send_reminder", "level": 1, **case})
    assert reminder["no_channel"] is True  # a landline and no e-mail
    assert reminder["emails_sent"] == reminder["sms_sent"] == 0
    letter = _invoke(notify, {"action": "send_letter", **case})
    assert letter["delivery"] == "safe"
    head = emulator.client("s3").head_object(
        Bucket=settings.documents_bucket, Key=letter["document_key"]
    )
    assert head["Metadata"] == {"delivery": "safe"}


def test_a_paid_lease_closes_its_case_and_frees_the_lease(
    notify: Any, landlord: Landlord, settings: Settings
) -> None:
    case = _open_case_for(landlord, "A")
    landlord.pay("A", 55_000)  # 10 € left: below the threshold
    checked = _invoke(notify, {"action": "check_balance", **case})
    assert checked == {"in_arrears": False, "balance_cents": 1_000}

    closed = _invoke(notify, {"action": "close_case", "reason": "paid", **case})
    assert closed == {"closed": True, "reason": "paid"}
    assert _invoke(notify, {"action": "close_case", "reason": "paid", **case})["closed"] is False

    cases = DynamoDunningCaseRepository(settings.dunning_table)
    stored = cases.get(landlord.org_id, case["case_id"])
    assert stored.status is CaseStatus.CLOSED
    assert stored.close_reason is not None and stored.close_reason.value == "paid"
    assert [e.step for e in stored.history] == ["opened", "balance_checked", "closed"]
    assert "A" not in cases.open_cases(landlord.org_id)


def test_referral_holds_the_lease_until_the_debt_is_cleared(
    notify: Any, landlord: Landlord, settings: Settings, stop_executions: list[str]
) -> None:
    case = _open_case_for(landlord, "A")
    result = _invoke(notify, {"action": "refer_social", **case})
    assert result["emails_sent"] == 1
    assert "FSL" in _sent_emails(landlord.email)[-1].body
    _invoke(notify, {"action": "close_case", "reason": "referred", **case})

    cases = DynamoDunningCaseRepository(settings.dunning_table)
    assert cases.open_cases(landlord.org_id)["A"].held
    # still in arrears: the social adviser has the case, no automatic one opens
    counts = _invoke(notify, {"action": "open_cases", "org_ids": [landlord.org_id]})
    assert counts["held"] == 1
    assert counts["opened"] == 1  # E
    refs = cases.open_cases(landlord.org_id)
    assert refs["A"].case_id == case["case_id"]
    execution = cases.get(landlord.org_id, refs["E"].case_id).execution_arn
    assert execution
    stop_executions.append(execution)

    landlord.pay("A", 56_000)
    counts = _invoke(notify, {"action": "open_cases", "org_ids": [landlord.org_id]})
    assert counts["released"] == 1
    assert "A" not in cases.open_cases(landlord.org_id)


def test_close_on_error_keeps_the_step_functions_error(
    notify: Any, landlord: Landlord, settings: Settings
) -> None:
    case = _open_case_for(landlord, "A")
    error = {"Error": "DeliveryError", "Cause": '{"errorMessage": "e-mail: Throttling"}'}
    _invoke(notify, {"action": "close_case", "reason": "error", "error": error, **case})
    stored = DynamoDunningCaseRepository(settings.dunning_table).get(
        landlord.org_id, case["case_id"]
    )
    assert stored.history[-1].detail["error"] == "DeliveryError"


def test_unknown_action_and_reason_are_refused(notify: Any, landlord: Landlord) -> None:
    from functions.core.errors import ValidationError

    case = _open_case_for(landlord, "A")
    with pytest.raises(ValidationError):
        _invoke(notify, {"action": "send_fax", **case})
    with pytest.raises(ValidationError):
        _invoke(notify, {"action": "close_case", "reason": "bored", **case})
    with pytest.raises(ValidationError):
        _invoke(notify, {"action": "check_balance", "org_id": landlord.org_id})


def _run_to_end(emulator: Any, settings: Settings, case: dict[str, str]) -> dict[str, Any]:
    from functions.adapters.workflows import StepFunctionsWorkflows

    zero = {"reminder_1": 0, "reminder_2": 0, "letter": 0, "referral": 0}
    started = StepFunctionsWorkflows(settings.dunning_state_machine_arn).start(
        case["case_id"], {**case, "delays": zero}
    )
    assert started.started
    sfn = emulator.client("stepfunctions")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        described: dict[str, Any] = sfn.describe_execution(executionArn=started.execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.2)
    sfn.stop_execution(executionArn=started.execution_arn)
    raise AssertionError("the dunning workflow did not end within 120 s")


def _needs_workflows(emulator: Any) -> None:
    if not getattr(emulator, "functions", None):
        pytest.skip("needs the emulator's ASL interpreter and in-process Lambda runner")


def test_the_real_workflow_runs_every_step_up_to_the_referral(
    emulator: Any, notify: Any, landlord: Landlord, settings: Settings
) -> None:
    _needs_workflows(emulator)
    case = _open_case_for(landlord, "A")
    assert _run_to_end(emulator, settings, case)["status"] == "SUCCEEDED"

    stored = DynamoDunningCaseRepository(settings.dunning_table).get(
        landlord.org_id, case["case_id"]
    )
    steps = [e.step for e in stored.history if e.step != "balance_checked"]
    assert steps == ["opened", "reminder_1", "reminder_2", "letter", "referral", "closed"]
    assert stored.close_reason is not None and stored.close_reason.value == "referred"
    assert len(_sent_emails(landlord.email)) == 3
    assert len(_sent_sms(landlord.mobile)) == 3
    key = f"{landlord.org_id}/A/{TODAY.isoformat()}-relance.pdf"
    pdf = emulator.client("s3").get_object(Bucket=settings.documents_bucket, Key=key)
    assert pdf["Body"].read().startswith(b"%PDF-")


def test_the_real_workflow_closes_a_paid_case_at_once(
    emulator: Any, notify: Any, landlord: Landlord, settings: Settings
) -> None:
    _needs_workflows(emulator)
    case = _open_case_for(landlord, "A")
    landlord.pay("A", 56_000)
    assert _run_to_end(emulator, settings, case)["status"] == "SUCCEEDED"
    stored = DynamoDunningCaseRepository(settings.dunning_table).get(
        landlord.org_id, case["case_id"]
    )
    assert [e.step for e in stored.history] == ["opened", "balance_checked", "closed"]
    assert stored.close_reason is not None and stored.close_reason.value == "paid"
    assert _sent_emails(landlord.email) == []


def test_an_organisations_own_dunning_policy_decides_when_cases_open(
    emulator: Any,
    notify: Any,
    landlord: Landlord,
    settings: Settings,
    stop_executions: list[str],
) -> None:
    orgs = DynamoOrganisationRepository(settings.organisations_table)
    org = orgs.get(landlord.org_id)
    orgs.put(replace(org, dunning=DunningPolicy(grace_days=1)))
    counts = _invoke(notify, {"action": "open_cases", "org_ids": [landlord.org_id]})
    assert counts["opened"] == 3  # A, E and D: its 2 days are past this landlord's grace day
    refs = DynamoDunningCaseRepository(settings.dunning_table).open_cases(landlord.org_id)
    assert set(refs) == {"A", "D", "E"}
    for ref in refs.values():
        stop_executions.extend(
            r["executionArn"] for r in _executions(emulator, settings, ref.case_id)
        )
