"""DunningService on the fakes: cases opened once, steps done once, closing and holds."""

from __future__ import annotations

import dataclasses
from dataclasses import replace

import pytest

from functions.core.dunning import CloseReason
from functions.core.errors import ValidationError
from functions.core.lease import Tenant
from functions.notify import cases, reminders, service
from functions.notify.service import dunning_service
from tests.fakes import (
    FakeDocumentStore,
    FakeDunningCaseRepository,
    FakeMailer,
    FakeSmsSender,
    FakeWorkflows,
    FakeWorld,
)
from tests.unit.matching.helpers import ORG
from tests.unit.services.conftest import clock


class Dunning:
    """The service with its gateways, for the assertions."""

    def __init__(self, w: FakeWorld) -> None:
        self.world = w
        self.cases = FakeDunningCaseRepository()
        self.workflows = FakeWorkflows()
        self.mailer = FakeMailer()
        self.sms = FakeSmsSender()
        self.documents = FakeDocumentStore()
        self.service = dunning_service(
            orgs=w.organisations,
            leases=w.leases,
            ledger=w.ledger,
            cases=self.cases,
            workflows=self.workflows,
            mailer=self.mailer,
            sms=self.sms,
            documents=self.documents,
            render_letter=lambda letter, name, qr: b"%PDF-1.7 " + qr.encode(),
            portal_base_url="https://portail.example",
            clock=clock,
        )

    def case_of(self, lease_id: str) -> str:
        return self.cases.open_cases(ORG)[lease_id].case_id


@pytest.fixture
def dunning(world: FakeWorld) -> Dunning:
    one = world.leases.get(ORG, "TIL-00001")
    world.tables.leases[(ORG, "TIL-00001")] = replace(
        one, tenants=(Tenant("Zoé LEFÈVRE", "zoe@example.fr", "06 12 34 56 78"),)
    )
    paid = world.leases.get(ORG, "TIL-00002")
    world.tables.leases[(ORG, "TIL-00002")] = replace(paid, balance_cents=0)
    return Dunning(world)


def test_the_daily_run_opens_and_starts_one_case_per_lease_in_arrears_once(
    dunning: Dunning,
) -> None:
    first = dunning.service.open_cases()
    second = dunning.service.open_cases()

    assert (first["in_arrears"], first["opened"], first["started"]) == (1, 1, 1)
    assert (second["opened"], second["started"], second["open"]) == (0, 0, 1)
    [(name, payload)] = dunning.workflows.executions.items()
    assert payload["lease_id"] == "TIL-00001" and name == dunning.case_of("TIL-00001")


def test_a_reminder_goes_out_on_every_channel_once(dunning: Dunning) -> None:
    dunning.service.open_cases()
    case_id = dunning.case_of("TIL-00001")

    sent = dunning.service.send_reminder(ORG, "TIL-00001", case_id, 1)
    again = dunning.service.send_reminder(ORG, "TIL-00001", case_id, 1)

    assert (sent["emails_sent"], sent["sms_sent"], sent["no_channel"]) == (1, 1, False)
    assert again["skipped"] is True
    assert [to for to, _ in dunning.mailer.sent] == ["zoe@example.fr"]
    assert len(dunning.sms.sent) == 1
    assert dunning.cases.get(ORG, case_id).has_done("reminder_1")


def test_a_rejected_address_is_counted_not_raised(dunning: Dunning) -> None:
    dunning.service.open_cases()
    dunning.mailer.rejecting.add("zoe@example.fr")

    sent = dunning.service.send_reminder(ORG, "TIL-00001", dunning.case_of("TIL-00001"), 2)

    assert (sent["emails_sent"], sent["rejected"], sent["sms_sent"]) == (0, 1, 1)


def test_the_letter_goes_to_print_without_e_delivery_consent(dunning: Dunning) -> None:
    dunning.service.open_cases()

    done = dunning.service.send_letter(ORG, "TIL-00001", dunning.case_of("TIL-00001"))

    assert done["delivery"] == "print"
    body, for_print = dunning.documents.pdfs[done["document_key"]]
    assert for_print and body.startswith(b"%PDF")


def test_a_paid_debt_ends_the_case_and_frees_the_lease(dunning: Dunning) -> None:
    dunning.service.open_cases()
    case_id = dunning.case_of("TIL-00001")
    lease = dunning.world.leases.get(ORG, "TIL-00001")
    dunning.world.tables.leases[(ORG, "TIL-00001")] = replace(lease, balance_cents=1_000)

    assert dunning.service.check_balance(ORG, "TIL-00001", case_id)["in_arrears"] is False
    assert dunning.service.close_case(ORG, "TIL-00001", case_id, "paid")["closed"] is True
    assert dunning.service.close_case(ORG, "TIL-00001", case_id, "paid")["closed"] is False
    assert dunning.cases.open_cases(ORG) == {}
    assert dunning.service.send_reminder(ORG, "TIL-00001", case_id, 1)["skipped"] is True


def test_a_referred_case_holds_the_lease_until_its_debt_is_cleared(dunning: Dunning) -> None:
    dunning.service.open_cases()
    case_id = dunning.case_of("TIL-00001")
    dunning.service.close_case(ORG, "TIL-00001", case_id, CloseReason.REFERRED.value)

    held = dunning.service.open_cases()
    lease = dunning.world.leases.get(ORG, "TIL-00001")
    dunning.world.tables.leases[(ORG, "TIL-00001")] = replace(lease, balance_cents=0)
    released = dunning.service.open_cases()

    assert (held["held"], held["opened"]) == (1, 0)
    assert released["released"] == 1
    assert dunning.cases.open_cases(ORG) == {}


def test_the_letter_goes_to_the_safe_with_e_delivery_consent(dunning: Dunning) -> None:
    lease = dunning.world.leases.get(ORG, "TIL-00001")
    dunning.world.tables.leases[(ORG, "TIL-00001")] = replace(lease, e_delivery_consent=True)
    dunning.service.open_cases()

    done = dunning.service.send_letter(ORG, "TIL-00001", dunning.case_of("TIL-00001"))

    assert done["delivery"] == "safe"
    assert dunning.documents.pdfs[done["document_key"]][1] is False


def test_the_referral_tells_the_tenant_and_is_recorded_once(dunning: Dunning) -> None:
    dunning.service.open_cases()
    case_id = dunning.case_of("TIL-00001")

    referred = dunning.service.refer_social(ORG, "TIL-00001", case_id)
    again = dunning.service.refer_social(ORG, "TIL-00001", case_id)

    assert (referred["emails_sent"], referred["sms_sent"]) == (1, 1)
    assert again["skipped"] is True
    [event] = [e for e in dunning.cases.get(ORG, case_id).history if e.step == "referral"]
    assert event.detail["social_follow_up"] is True


def test_a_step_for_another_lease_s_case_is_refused(dunning: Dunning) -> None:
    dunning.service.open_cases()
    case_id = dunning.case_of("TIL-00001")

    with pytest.raises(ValidationError, match="lease_id"):
        dunning.service.send_reminder(ORG, "TIL-00002", case_id, 1)
    assert dunning.mailer.sent == []


def test_each_dunning_unit_has_at_most_five_collaborators() -> None:
    units = [
        cls
        for module in (cases, reminders, service)
        for cls in vars(module).values()
        if dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__
    ]
    too_many = {u.__name__: len(dataclasses.fields(u)) for u in units}
    assert {name: n for name, n in too_many.items() if n > 5} == {}
    assert "DunningService" in too_many and "CaseOpening" in too_many
