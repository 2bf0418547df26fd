"""Tenant links, as a service on in-memory stores: issued, opened, refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from functions.core.errors import AuthenticationError, ConflictError, NotFoundError
from functions.core.lease import Lease, Tenant
from functions.core.ledger import LedgerLine, LineKind
from functions.core.organisation import Organisation
from functions.core.viban import VirtualIbanRange
from functions.organisations.secrets import SecretKind
from functions.organisations.tenant_links import TENANT_LINK_DAYS, TenantLinks

NOW = datetime(2026, 12, 3, 9, tzinfo=UTC)
ORG = Organisation(
    "org-a",
    "OPH de test",
    "FR7630004008210000420001774",
    VirtualIbanRange("30004", "00821", "57"),
    portal_secret_arn="arn:test:portal",
)
LEASE = Lease(
    org_id="org-a",
    lease_id="L1",
    tenants=(Tenant("Zoé LEFÈVRE"),),
    residence="R",
    commune="Orléans",
    unit="1",
    start_date=date(2020, 1, 1),
    rent_cents=50_000,
    charges_cents=8_000,
    viban="",
    rf_reference="",
)


class Orgs:
    def __init__(self, *orgs: Organisation) -> None:
        self.orgs = {o.org_id: o for o in orgs}

    def get(self, org_id: str) -> Organisation:
        if org_id not in self.orgs:
            raise NotFoundError("organisation", org_id)
        return self.orgs[org_id]


class Leases:
    def get(self, org_id: str, lease_id: str) -> Lease:
        if (org_id, lease_id) != (LEASE.org_id, LEASE.lease_id):
            raise NotFoundError("lease", lease_id)
        return LEASE


class Ledger:
    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]:
        return []


class Secrets:
    def __init__(self) -> None:
        self.current, self.previous = "secret-2", ("secret-1",)

    def signing_value(self, org: Organisation, kind: SecretKind) -> str:
        assert kind is SecretKind.PORTAL
        return self.current

    def accepted_values(self, org: Organisation, kind: SecretKind) -> tuple[str, ...]:
        return (self.current, *self.previous)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _links(
    org: Organisation = ORG, secrets: Secrets | None = None, clock: Clock | None = None
) -> TenantLinks:
    return TenantLinks(
        Orgs(org),
        Leases(),
        Ledger(),
        secrets or Secrets(),
        "https://portail.example/",
        clock or Clock(),
    )


def test_a_link_opens_its_lease_until_it_expires() -> None:
    clock = Clock()
    links = _links(clock=clock)
    link = links.issue("org-a", "L1")
    assert link.url == f"https://portail.example/#t={link.token}"
    assert link.expires_at == NOW + timedelta(days=TENANT_LINK_DAYS)
    opened = links.open(link.token)
    assert (opened.org.org_id, opened.lease.lease_id, opened.lines) == ("org-a", "L1", [])
    clock.now = link.expires_at + timedelta(seconds=1)
    with pytest.raises(AuthenticationError):
        links.open(link.token)


def test_a_link_signed_with_the_previous_secret_still_opens_after_a_rotation() -> None:
    secrets = Secrets()
    secrets.current, secrets.previous = "secret-1", ()
    links = _links(secrets=secrets)
    token = links.issue("org-a", "L1").token
    secrets.current, secrets.previous = "secret-2", ("secret-1",)
    assert links.grant(token).lease_id == "L1"
    secrets.previous = ()  # the grace period is over
    with pytest.raises(AuthenticationError):
        links.grant(token)


def test_no_link_without_a_portal_secret_nor_for_an_unknown_lease() -> None:
    with pytest.raises(ConflictError, match="no portal secret"):
        _links(replace(ORG, portal_secret_arn=None)).issue("org-a", "L1")
    with pytest.raises(NotFoundError):
        _links().issue("org-a", "L2")


def test_a_token_of_an_unknown_organisation_or_garbled_is_refused() -> None:
    token = _links().issue("org-a", "L1").token
    elsewhere = _links(replace(ORG, org_id="org-b"))
    with pytest.raises(AuthenticationError, match="not valid"):
        elsewhere.open(token)
    with pytest.raises(AuthenticationError):
        _links().open("v1.garbage.garbage")


class CountingOrgs(Orgs):
    def __init__(self, *orgs: Organisation) -> None:
        super().__init__(*orgs)
        self.reads = 0

    def get(self, org_id: str) -> Organisation:
        self.reads += 1
        return super().get(org_id)


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _trusting(orgs: CountingOrgs, ticks: Ticks, seconds: float = 30) -> TenantLinks:
    return TenantLinks(
        orgs, Leases(), Ledger(), Secrets(), "https://portail.example/", Clock(),
        trust_seconds=seconds, monotonic=ticks,
    )  # fmt: skip


def test_an_organisation_read_to_open_a_link_is_trusted_for_a_while() -> None:
    orgs, ticks = CountingOrgs(ORG), Ticks()
    links = _trusting(orgs, ticks)
    token = links.issue("org-a", "L1").token
    issued = orgs.reads
    for _ in range(3):
        assert links.open(token).org.name == "OPH de test"
        assert links.grant(token).lease_id == "L1"
    assert orgs.reads == issued + 1
    orgs.orgs["org-a"] = replace(ORG, name="OPH renommé")
    ticks.now = 29.9
    assert links.open(token).org.name == "OPH de test"  # still trusted
    ticks.now = 30.0
    assert links.open(token).org.name == "OPH renommé"  # read again
    assert orgs.reads == issued + 2


def test_a_token_the_trusted_organisation_does_not_verify_reads_it_again() -> None:
    orgs, ticks = CountingOrgs(ORG), Ticks()
    links = _trusting(orgs, ticks)
    links.open(links.issue("org-a", "L1").token)
    before = orgs.reads
    forged = _links(secrets=_other_secrets()).issue("org-a", "L1").token
    with pytest.raises(AuthenticationError):
        links.open(forged)
    assert orgs.reads == before + 1


def test_without_trust_every_opening_reads_the_organisation() -> None:
    orgs, ticks = CountingOrgs(ORG), Ticks()
    links = _trusting(orgs, ticks, seconds=0)
    token = links.issue("org-a", "L1").token
    before = orgs.reads
    links.open(token)
    links.open(token)
    assert orgs.reads == before + 2


def _other_secrets() -> Secrets:
    other = Secrets()
    other.current, other.previous = "someone-else", ()
    return other


class CountingLeases(Leases):
    def __init__(self) -> None:
        self.reads = 0
        self.lease = LEASE

    def get(self, org_id: str, lease_id: str) -> Lease:
        self.reads += 1
        super().get(org_id, lease_id)
        return self.lease


class GrowingLedger(Ledger):
    def __init__(self) -> None:
        self.held: list[LedgerLine] = []

    def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]:
        return list(self.held)


def _line(n: int, cents: int) -> LedgerLine:
    return LedgerLine("org-a", "L1", f"line-{n}", LineKind.RENT_CALL, date(2026, 12, n), cents,
                      "Loyer", f"call-{n}", NOW)  # fmt: skip


def test_the_lease_record_is_held_for_a_while_and_its_lines_are_read_every_time() -> None:
    leases, ledger, ticks = CountingLeases(), GrowingLedger(), Ticks()
    links = TenantLinks(
        Orgs(ORG), leases, ledger, Secrets(), "https://portail.example/", Clock(),
        trust_seconds=30, monotonic=ticks,
    )  # fmt: skip
    token = links.issue("org-a", "L1").token
    issued = leases.reads
    assert links.open(token).lines == []
    ledger.held.append(_line(1, 58_000))
    leases.lease = replace(LEASE, residence="Résidence renommée", balance_cents=58_000)
    ticks.now = 29.9
    view = links.open(token)
    assert [line.amount_cents for line in view.lines] == [58_000]  # the lines: always now
    assert view.lease.residence == "R"  # the record: held
    assert leases.reads == issued + 1
    ticks.now = 30.0
    assert links.open(token).lease.residence == "Résidence renommée"
    assert leases.reads == issued + 2


def test_the_page_shows_the_balance_of_the_lines_read_now_not_of_the_held_record() -> None:
    from functions.api.tenant import tenant_account

    org = replace(ORG, name="OPH de test")
    from functions.core.rf import make_rf

    viban, rf = ORG.viban_range.iban_for(1), make_rf("L1")
    lease = replace(LEASE, viban=viban, rf_reference=rf, balance_cents=0)  # read earlier
    page = tenant_account(org, lease, [_line(1, 58_000), _line(2, -20_000)])
    assert (page["balance"], page["balance_display"]) == ("380.00", "380,00\u00a0€")
    assert page["pay"]["amount"] == "380.00"
    assert [h["balance"] for h in page["history"]] == ["380.00", "580.00"]


def test_a_first_opening_reads_the_record_and_the_lines_at_the_same_time() -> None:
    """With ``reads``, each read waits for the other to have started: one after the other,
    they would not meet (the barrier breaks)."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    both = Barrier(2, timeout=5)

    class MeetingLeases(Leases):
        def get(self, org_id: str, lease_id: str) -> Lease:
            both.wait()
            return super().get(org_id, lease_id)

    class MeetingLedger(Ledger):
        def lines(self, org_id: str, lease_id: str) -> list[LedgerLine]:
            both.wait()
            return [_line(1, 58_000)]

    with ThreadPoolExecutor(2) as reads:
        links = TenantLinks(Orgs(ORG), MeetingLeases(), MeetingLedger(), Secrets(),
                            "https://portail.example/", Clock(), reads=reads)  # fmt: skip
        token = _links().issue("org-a", "L1").token  # issuing reads the lease: plain stores
        view = links.open(token)
        assert view.lease == LEASE and [x.amount_cents for x in view.lines] == [58_000]


def test_a_first_opening_of_an_unknown_lease_is_not_found_with_reads_at_once() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from functions.core.tenant_access import TenantGrant, issue_token

    with ThreadPoolExecutor(2) as reads:
        links = TenantLinks(Orgs(ORG), Leases(), Ledger(), Secrets(),
                            "https://portail.example/", Clock(), reads=reads)  # fmt: skip
        token = issue_token("secret-2", TenantGrant("org-a", "L-GONE", NOW + timedelta(days=1)))
        with pytest.raises(NotFoundError):
            links.open(token)
