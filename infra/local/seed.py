"""The demo landlord: one organisation, its vIBAN range, 500+ leases, rent calls.

Deterministic (a fixed random seed), so every fresh machine shows the same
portfolio: French names with accents and compound surnames, couples, several
residences in several communes, direct debits and transfers, APL paid to the
landlord, a few tenants in arrears and a few ended leases.
"""

from __future__ import annotations

import random
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from functions.adapters.settings import Settings
from functions.api.auth import hash_key, new_key
from functions.bootstrap import Composition
from functions.core.documents import NoticeRequest
from functions.core.errors import NotFoundError
from functions.core.lease import Lease, PaymentMethod, Tenant
from functions.core.ledger import LedgerLine
from functions.core.organisation import Organisation
from functions.core.viban import VirtualIbanRange
from functions.leases.service import RentCall, rent_call_line

DEMO_ORG_ID = "org-demo"
DEMO_LEASES = 520

RESIDENCES = (
    ("TIL", "Résidence Les Tilleuls", "Orléans"),
    ("CHA", "Le Clos des Charmes", "Orléans"),
    ("BRA", "Les Hauts de Saint-Jean", "Saint-Jean-de-Braye"),
    ("LOI", "Quai de Loire", "Saint-Jean-de-la-Ruelle"),
    ("SOL", "Cité du Soleil", "Fleury-les-Aubrais"),
    ("MAR", "Résidence Marcel-Pagnol", "Olivet"),
    ("VAL", "Le Val Fleuri", "Saint-Pryvé-Saint-Mesmin"),
    ("BEA", "Les Jardins de Beaugency", "Beaugency"),
    ("GIE", "Square des Faïenciers", "Gien"),
    ("MON", "Les Terrasses du Loing", "Montargis"),
    ("PIT", "Résidence Émile-Zola", "Pithiviers"),
    ("MEU", "Le Parc des Mauves", "Meung-sur-Loire"),
)

SURNAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefèbvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Morin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Ben Saïd",
    "N'Diaye",
    "Nguyen",
    "Da Silva",
    "Le Gall",
    "Saint-Martin",
    "Delacroix-Ferrand",
    "Hamidi",
    "Traoré",
    "Benali",
    "Kowalski",
    "Ferreira",
    "Rodrigues",
    "Diallo",
    "Haddad",
    "Lemaître",
    "Barthélémy",
)
FIRST_NAMES = (
    "Marie",
    "Jean",
    "Nathalie",
    "Pierre",
    "Isabelle",
    "Michel",
    "Sylvie",
    "Philippe",
    "Catherine",
    "Alain",
    "Françoise",
    "Patrick",
    "Monique",
    "Éric",
    "Hélène",
    "Jérôme",
    "Céline",
    "Stéphane",
    "Aurélie",
    "Frédéric",
    "Émilie",
    "Sébastien",
    "Chloé",
    "Loïc",
    "Inès",
    "Mohamed",
    "Fatou",
    "Karim",
    "Aïcha",
    "Yasmine",
    "Noël",
    "Gaëlle",
    "Zoé",
    "Anaïs",
    "Joël",
    "Thérèse",
    "Jean-Baptiste",
    "Marie-Claire",
    "Anne-Sophie",
    "Léa",
)


def demo_organisation() -> Organisation:
    viban_range = VirtualIbanRange("30004", "00821", "57", bic="BNPAFRPPXXX")
    collection = VirtualIbanRange("30004", "00821", "00").iban_for(4_200_017)
    return Organisation(
        org_id=DEMO_ORG_ID,
        name="Val de Loire Habitat (démonstration)",
        collection_iban=collection,
        viban_range=viban_range,
        siren="775123456",
    )


def _tenants(rng: random.Random) -> tuple[Tenant, ...]:
    surname = rng.choice(SURNAMES)
    first = rng.choice(FIRST_NAMES)
    ascii_name = unicodedata.normalize("NFKD", f"{first}.{surname}").encode("ascii", "ignore")
    slug = "".join(c for c in ascii_name.decode().lower() if c.isalnum() or c in ".-")
    email = f"{slug}@example.fr"
    phone = f"+336{rng.randrange(10_000_000, 99_999_999)}"
    main = Tenant(f"{first} {surname.upper()}", email, phone)
    if rng.random() < 0.35:  # a couple, sometimes with two surnames
        other = rng.choice(SURNAMES) if rng.random() < 0.4 else surname
        return main, Tenant(f"{rng.choice(FIRST_NAMES)} {other.upper()}")
    return (main,)


def demo_leases(today: date) -> list[Lease]:
    rng = random.Random(20261123)
    leases = []
    for n in range(1, DEMO_LEASES + 1):
        code, residence, commune = RESIDENCES[n % len(RESIDENCES)]
        rooms = rng.choice((1, 2, 2, 3, 3, 3, 4, 5))
        rent = 18_000 + rooms * rng.randrange(7_500, 11_000)
        charges = 3_000 + rooms * rng.randrange(1_500, 3_500)
        apl = rng.randrange(5_000, rent // 2) if rng.random() < 0.45 else 0
        method = rng.choices(
            (PaymentMethod.DIRECT_DEBIT, PaymentMethod.TRANSFER, PaymentMethod.CHEQUE),
            weights=(60, 34, 6),
        )[0]
        start = date(rng.randrange(2005, today.year), rng.randrange(1, 13), 1)
        ended = rng.random() < 0.03
        leases.append(
            Lease(
                org_id=DEMO_ORG_ID,
                lease_id=f"{code}-{n:05d}",
                tenants=_tenants(rng),
                residence=residence,
                commune=commune,
                unit=f"Bât. {rng.choice('ABCD')}, apt {rng.randrange(100, 820)}",
                start_date=start,
                end_date=date(today.year, today.month, 1) if ended else None,
                rent_cents=rent,
                charges_cents=charges,
                apl_cents=apl,
                payment_method=method,
                mandate_id=f"RUM-VLH-{n:06d}" if method is PaymentMethod.DIRECT_DEBIT else None,
                e_delivery_consent=rng.random() < 0.7,
                viban="",
                rf_reference="",
            )
        )
    return leases


def seed_demo(env: Mapping[str, str], today: date | None = None) -> dict[str, Any]:
    """Create the demo landlord in the tables named by ``env``; returns its access facts."""
    root = Composition(Settings.from_env(env))
    today = today or datetime.now(UTC).date()
    now = datetime.now(UTC)
    orgs = root.organisations
    org = demo_organisation()
    try:  # seeding again keeps the secrets (and the links already handed out)
        known = orgs.get(org.org_id)
        org = replace(
            org,
            portal_secret_arn=known.portal_secret_arn,
            erp_webhook_secret_arn=known.erp_webhook_secret_arn,
        )
    except NotFoundError:
        pass
    org = root.org_secrets.provision(org)
    orgs.put(org)
    leases = root.lease_service.with_new_vibans(org.org_id, demo_leases(today))

    # This month's rent call for every lease; last month's too for ~7 % in arrears.
    rng = random.Random(7)
    period = f"{today.year}-{today.month:02d}"
    prev = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 5)
    lines: list[LedgerLine] = []
    seeded: list[Lease] = []
    for lease in leases:
        calls = [(date(today.year, today.month, 5), period)]
        if rng.random() < 0.07:
            calls.append((prev, f"{prev.year}-{prev.month:02d}"))
        if lease.end_date is not None:
            calls = calls[1:]
        balance = 0
        for due, per in calls:
            call = RentCall(
                org.org_id,
                lease.lease_id,
                f"{lease.lease_id}:{per}",
                per,
                due,
                lease.rent_cents,
                lease.charges_cents,
                lease.apl_cents,
            )
            line = rent_call_line(call, now)
            lines.append(line)
            balance += line.amount_cents
        seeded.append(replace(lease, balance_cents=balance, version=len(calls)))
    root.leases.put_many_new(seeded)
    root.ledger.put_many_new(lines)
    notices = _queue_notices(root, env, org.org_id, seeded, period, today)

    api_key = new_key()
    root.api_keys.put(
        hash_key(api_key), org.org_id, ["erp", "backoffice"], "demo key (local platform)"
    )
    return {
        "org_id": org.org_id,
        "org_name": org.name,
        "api_key": api_key,
        "sftp_username": "demo",
        "sftp_password": secrets.token_urlsafe(12),
        "leases": len(seeded),
        "collection_iban": org.collection_iban,
        "notices_queued": notices,
    }


def _queue_notices(
    root: Composition,
    env: Mapping[str, str],
    org_id: str,
    leases: list[Lease],
    period: str,
    today: date,
) -> int:
    """This month's avis d'échéance, rendered in the background by the documents function.

    ``ENCAISSE_DEMO_NOTICES`` caps their number (the platform tests use a few).
    """
    cap = env.get("ENCAISSE_DEMO_NOTICES", "")
    limit = int(cap) if cap.isdigit() else len(leases)
    due = date(today.year, today.month, 5)
    requests = []
    for lease in leases:
        if lease.end_date is not None:
            continue
        this_month = lease.rent_cents + lease.charges_cents - lease.apl_cents
        requests.append(
            NoticeRequest(
                org_id,
                lease.lease_id,
                f"{lease.lease_id}:{period}",
                period,
                due,
                lease.rent_cents,
                lease.charges_cents,
                lease.apl_cents,
                lease.balance_cents - this_month,
            )
        )
    requests = requests[:limit]
    root.notice_queue.send(org_id, requests)
    return len(requests)
