"""A realistic landlord and a month of its bank activity, with the truth of every payment.

The portfolio: French names with accents, particles and compound surnames,
couples (same or two surnames), co-tenants, flats with a parking lease, several
residences and communes, APL paid to the landlord, direct debits with mandates,
ended leases still in arrears. Most transfer payers' IBANs were confirmed in
earlier months (the history a landlord has after a few months of Encaisse).

The month: transfers to vIBANs, RF references, direct-debit batches and their
returns (camt.054) and status reports (pain.002), and transfers to the generic
IBAN with messy remittance texts, third-party payers, partial, lump and split
payments; refunds, insurers, the CAF and suppliers; the landlord's own debits.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from functions.core.lease import Lease, PaymentMethod, Tenant, rf_reference_for_viban
from functions.core.organisation import Organisation
from functions.core.statements import Transaction
from functions.core.viban import VirtualIbanRange
from infra.local.seed import FIRST_NAMES, RESIDENCES, SURNAMES

# month()'s ``add(where, transaction, truth)`` and its ``e2e(prefix)``.
Add = Callable[[list[Transaction], Transaction, "Truth"], None]
E2e = Callable[..., str]

ORG_ID = "org-bench"
MONTH = date(2026, 11, 1)

EXTRA_SURNAMES = (
    "Lefebvre",
    "Bonnet",
    "Marchand",
    "Duval",
    "Denis",
    "Masson",
    "Boyer",
    "Lucas",
    "Joly",
    "Gaillard",
    "Brun",
    "Roy",
    "Meunier",
    "Brunet",
    "Blanchard",
    "Barbier",
    "Arnaud",
    "Giraud",
    "Rolland",
    "Leclerc",
    "Renard",
    "Aubert",
    "Lemoine",
    "Colin",
    "Vidal",
    "Caron",
    "Picard",
    "Roger",
    "Fabre",
    "Aubry",
    "Hoarau",
    "Payet",
    "Boucher",
    "Perret",
    "Carpentier",
    "Maillard",
    "Huet",
    "Rey",
    "Charpentier",
    "Bailly",
    "Hervé",
    "Schmitt",
    "Leroux",
    "Poirier",
    "Guillot",
    "Cordier",
    "Bouvier",
    "Tessier",
    "Lebrun",
    "Collet",
    "Pierre",
    "Royer",
    "Prévost",
    "Baron",
    "Jacquet",
    "Rémy",
    "Benoît",
    "Carré",
    "Besson",
    "Lefort",
    "Couturier",
    "Bertin",
    "Gomez",
    "Sanchez",
    "Pereira",
    "Fernandes",
    "Gonçalves",
    "Rocher",
    "Vasseur",
    "Chauvin",
    "Langlois",
    "Bouchet",
    "Weber",
    "Klein",
    "Marie",
    "Bourgeois",
    "Lacroix",
    "Moulin",
    "Fleury",
    "Etienne",
    "Lambert-Dubois",
    "Dos Santos",
    "Le Roux",
    "De Oliveira",
    "El Amrani",
    "Ould Ahmed",
    "Mbappé",
    "Kouassi",
    "Camara",
    "Cissé",
    "Touré",
    "Sow",
    "Bah",
    "Fofana",
    "Konaté",
    "Nguyen Van",
    "Tran",
    "Pham",
    "Le Goff",
    "Le Bihan",
    "Kerjean",
    "Quéméner",
    "Abalain",
)
EXTRA_FIRST = (
    "Lucas",
    "Hugo",
    "Louis",
    "Gabriel",
    "Arthur",
    "Jules",
    "Adam",
    "Raphaël",
    "Camille",
    "Manon",
    "Sarah",
    "Lina",
    "Jade",
    "Louise",
    "Ambre",
    "Rose",
    "Nour",
    "Amine",
    "Bilal",
    "Rayan",
    "Samir",
    "Nadia",
    "Leïla",
    "Sofiane",
    "Thomas",
    "Nicolas",
    "Julien",
    "Mathilde",
    "Pauline",
    "Élodie",
    "Véronique",
    "Brigitte",
    "Bernard",
    "Gérard",
    "Christiane",
    "Odile",
    "Maëlle",
    "Yannick",
    "Gwenaël",
    "Soizic",
    "Thi Lan",
    "Minh",
    "Ousmane",
    "Mamadou",
    "Awa",
    "Aminata",
    "Moussa",
    "Ibrahim",
    "Youssef",
    "Khadija",
    "Rachid",
    "Farid",
    "Malika",
    "Hervé",
)
_SYL1 = (
    "Bou",
    "Char",
    "Del",
    "Fon",
    "Gar",
    "Lam",
    "Mar",
    "Per",
    "Rou",
    "Ber",
    "Cha",
    "Dur",
    "Fau",
    "Gir",
    "Lec",
    "Mor",
    "Pic",
    "Ren",
    "Vil",
    "Bes",
    "Cou",
    "Duf",
    "Gau",
    "Hub",
    "Jol",
    "Lar",
    "Mal",
    "Pel",
    "Ques",
    "Rob",
    "Sau",
    "Tes",
    "Vau",
    "Bro",
    "Cor",
    "Gué",
    "Lau",
    "Mé",
    "Tou",
)
_SYL2 = (
    "bert",
    "chard",
    "mont",
    "tin",
    "ron",
    "ville",
    "lier",
    "neau",
    "rand",
    "vert",
    "quet",
    "lin",
    "det",
    "gnon",
    "rault",
    "chet",
    "mier",
    "zier",
    "dieu",
    "court",
    "gès",
    "nard",
)


def surname_pool(rng: random.Random) -> list[str]:
    base = list(dict.fromkeys([*SURNAMES, *EXTRA_SURNAMES]))
    made = [a + b for a in _SYL1 for b in _SYL2]
    pool = base + made
    compounds = [f"{rng.choice(pool)}-{rng.choice(made)}" for _ in range(300)]
    return pool + compounds


FIRSTS = list(dict.fromkeys([*FIRST_NAMES, *EXTRA_FIRST]))


def _ascii_upper(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()


def _iban(rng: random.Random) -> str:
    rib = VirtualIbanRange(
        rng.choice(("30003", "30004", "10278", "20041", "16006", "30002")),
        f"{rng.randrange(100, 99_999):05d}",
        "0",
    )
    return rib.iban_for(rng.randrange(0, 10**9))


PARTICLE_SURNAMES = (
    "de la Fontaine",
    "du Pont",
    "Le Gall",
    "Le Floch",
    "de Souza",
    "Da Costa",
    "de Almeida",
    "Van Damme",
    "Le Meur",
    "du Bois",
    "La Rosa",
    "Di Stefano",
    "Ben Youssef",
    "El Idrissi",
    "Saint-Martin",
    "Dupont-Aignan",
)
GUARDIAN_BODIES = (
    "UDAF 45",
    "UDAF DU LOIRET",
    "UDAF 13",
    "ATI 45",
    "ATI DU CHER",
    "ATMP DU LOIRET",
    "ASSOCIATION TUTELAIRE DU LOIRET",
    "APAJH 45 SERVICE MJPM",
    "SERVICE MANDATAIRE UDAF 41",
)


@dataclass(frozen=True)
class Guardian:
    """A guardian (tuteur, curateur) paying for protected adults from one account."""

    name: str
    iban: str
    file_number: str  # the guardian's file number for this protected adult


@dataclass
class Profile:
    """How a lease's tenants pay."""

    lease: Lease
    first: str
    surname: str
    own_iban: str
    learned: bool
    parking_of: str | None = None
    cotenant: tuple[str, str, str] | None = None  # first, surname, iban of the second tenant
    couple_same_surname: bool = False
    maiden: str | None = None  # the birth surname the ERP records after "née"
    guardian: Guardian | None = None  # who pays for a protected adult


@dataclass
class Portfolio:
    org: Organisation
    leases: list[Lease]
    profiles: dict[str, Profile]
    parkings: dict[str, str] = field(default_factory=dict)  # flat lease → its parking lease


def portfolio(n: int, seed: int = 20261123) -> Portfolio:
    rng = random.Random(seed)
    surnames = surname_pool(rng)
    viban_range = VirtualIbanRange("30004", "00821", "57", bic="BNPAFRPPXXX")
    org = Organisation(
        ORG_ID,
        "Bench Habitat",
        VirtualIbanRange("30004", "00821", "00").iban_for(4_200_017),
        viban_range,
    )
    leases: list[Lease] = []
    profiles: dict[str, Profile] = {}
    parkings: dict[str, str] = {}
    # The wider kinds draw from their own stream, so the portfolio's shape (and
    # the vIBAN, RF and direct-debit payments) stays what it was without them.
    var = random.Random(seed * 7 + 1)
    numeric = _numeric_codes(var)
    guardians = _guardians(var, surnames)
    i = 0
    while len(leases) < n:
        i += 1
        code, residence, commune = RESIDENCES[i % len(RESIDENCES)]
        surname, first = rng.choice(surnames), rng.choice(FIRSTS)
        shape = rng.random()
        first, surname, maiden, guardian = _variety(var, first, surname, profiles, guardians)
        tenants = [Tenant(_recorded(first, surname, maiden))]
        cotenant = None
        same = False
        if shape < 0.30:  # a couple
            same = rng.random() < 0.7
            other = surname if same else rng.choice(surnames)
            tenants.append(Tenant(f"{rng.choice(FIRSTS)} {other.upper()}"))
        elif shape < 0.38:  # co-tenants sharing a flat
            c = (rng.choice(FIRSTS), rng.choice(surnames), _iban(rng))
            cotenant = c
            tenants.append(Tenant(f"{c[0]} {c[1].upper()}"))
        rooms = rng.choice((1, 2, 2, 3, 3, 3, 4, 5))
        rent = 18_000 + rooms * rng.randrange(7_500, 11_000)
        charges = 3_000 + rooms * rng.randrange(1_500, 3_500)
        apl = rng.randrange(5_000, rent // 2) if rng.random() < 0.4 else 0
        dd = rng.random() < 0.5 and cotenant is None
        viban = viban_range.iban_for(len(leases))
        arrears = rng.random() < 0.08
        ended = rng.random() < 0.02
        lease = Lease(
            org_id=ORG_ID,
            lease_id=_lease_number(code, len(leases) + 1, numeric),
            tenants=tuple(tenants),
            residence=residence,
            commune=commune,
            unit=f"apt {rng.randrange(1, 400)}",
            start_date=date(rng.randrange(2005, 2026), rng.randrange(1, 13), 1),
            end_date=date(2026, 10, 31) if ended else None,
            rent_cents=rent,
            charges_cents=charges,
            apl_cents=apl,
            payment_method=PaymentMethod.DIRECT_DEBIT
            if dd and not ended
            else PaymentMethod.TRANSFER,
            mandate_id=f"RUM-BH-{len(leases) + 1:07d}" if dd and not ended else None,
            viban=viban,
            rf_reference=rf_reference_for_viban(viban),
        )
        due = lease.monthly_due_cents
        balance = (due * (2 if arrears else 1)) if not ended else rng.randrange(20_000, 90_000)
        own = _iban(rng)
        learned = rng.random() < 0.78
        known = (own, cotenant[2]) if cotenant else (own,)
        lease = replace(lease, balance_cents=balance, payer_ibans=known if learned else ())
        leases.append(lease)
        if guardian is not None and cotenant is None and var.random() < 0.6:
            lease = replace(lease, payer_ibans=(*lease.payer_ibans, guardian.iban))
        profiles[lease.lease_id] = Profile(
            lease,
            first,
            surname,
            own,
            learned,
            None,
            cotenant,
            same,
            maiden,
            guardian if cotenant is None else None,
        )
        if rng.random() < 0.08 and len(leases) < n and not ended:  # a parking, same tenants
            p_viban = viban_range.iban_for(len(leases))
            p_rent = rng.randrange(3_000, 6_000)
            parking = replace(
                lease,
                lease_id=_lease_number(code, len(leases) + 1, numeric),
                unit="parking",
                rent_cents=p_rent,
                charges_cents=500,
                apl_cents=0,
                viban=p_viban,
                rf_reference=rf_reference_for_viban(p_viban),
                mandate_id=f"RUM-BH-{len(leases) + 1:07d}" if lease.mandate_id else None,
                balance_cents=p_rent + 500,
                payer_ibans=lease.payer_ibans,
            )
            leases.append(parking)
            profiles[parking.lease_id] = Profile(
                parking, first, surname, own, learned, lease.lease_id, None, same, maiden
            )
            parkings[lease.lease_id] = parking.lease_id
    return Portfolio(org, leases, profiles, parkings)


def _numeric_codes(var: random.Random) -> frozenset[str]:
    """Residences of an absorbed landlord whose ERP numbers leases with digits only."""
    return frozenset(var.sample([code for code, _, _ in RESIDENCES], 3))


def _lease_number(code: str, n: int, numeric: frozenset[str]) -> str:
    return f"{100_000 + n:07d}" if code in numeric else f"{code}-{n:06d}"


def _guardians(var: random.Random, surnames: list[str]) -> list[tuple[str, str]]:
    """Guardian bodies and independent mandataires, each with one account."""
    out = [(body, _iban(var)) for body in GUARDIAN_BODIES]
    for _ in range(6):
        who = f"{_ascii_upper(var.choice(surnames))} {_ascii_upper(var.choice(FIRSTS))}"
        style = var.choice(("MJPM {w}", "{w} MJPM", "{w} MANDATAIRE JUD", "MME {w} MJPM"))
        out.append((style.format(w=who)[:35], _iban(var)))
    return out


def _variety(
    var: random.Random,
    first: str,
    surname: str,
    profiles: dict[str, Profile],
    guardians: list[tuple[str, str]],
) -> tuple[str, str, str | None, Guardian | None]:
    """A tenant's name and circumstances beyond the plain case: a surname with a
    particle, a namesake of another tenant, a maiden name, a guardian."""
    r = var.random()
    if r < 0.05:
        surname = var.choice(PARTICLE_SURNAMES)
    elif r < 0.065 and profiles:
        other = var.choice(list(profiles.values()))
        first, surname = other.first, other.surname
    maiden = var.choice(EXTRA_SURNAMES) if var.random() < 0.06 else None
    guardian = None
    if var.random() < 0.05:
        name, iban = var.choice(guardians)
        number = var.choice(("{n}", "{y}/{n}", "{y}-{n}", "D{n}"))
        guardian = Guardian(
            name, iban, number.format(n=var.randrange(100, 99_999), y=var.randrange(2008, 2026))
        )
    return first, surname, maiden, guardian


def _recorded(first: str, surname: str, maiden: str | None) -> str:
    """The tenant as the ERP records them: "Marie DUPONT née MARTIN"."""
    name = f"{first} {surname.upper()}"
    return f"{name} née {maiden.upper()}" if maiden else name


# ---------------------------------------------------------------- the month


@dataclass(frozen=True)
class Truth:
    category: str
    case: str
    expected: tuple[tuple[str, int], ...] | str
    """Allocations (lease, signed cents), or "not_rent" / "nothing" (a duplicate notice)."""


@dataclass
class Month:
    viban: list[Transaction] = field(default_factory=list)  # camt.054 on the collection account
    statement: list[Transaction] = field(default_factory=list)  # camt.053
    dd_batch: list[Transaction] = field(default_factory=list)  # one camt.053 batch entry
    mt940: list[Transaction] = field(default_factory=list)
    cfonb: list[Transaction] = field(default_factory=list)
    returns: list[Transaction] = field(default_factory=list)  # camt.054
    pain002: list[tuple[str, int, str, str]] = field(default_factory=list)
    truth: dict[tuple[str, str], Truth] = field(default_factory=dict)


def _name(rng: random.Random, first: str, surname: str, couple: bool = False) -> str:
    f, s = _ascii_upper(first), _ascii_upper(surname)
    if rng.random() < 0.2:
        s = s.replace("-", " ")
    style = rng.random()
    if couple and style < 0.5:
        name = rng.choice(("M OU MME {s}", "M. OU MME {s}", "MR ET MME {s}", "EPOUX {s}"))
        name = name.format(s=s)
    elif style < 0.35:
        name = f"{s} {f}"
    elif style < 0.65:
        name = f"{f} {s}"
    elif style < 0.8:
        name = f"{rng.choice(('M', 'MME', 'MLLE', 'MONSIEUR', 'MADAME'))} {f} {s}"
    elif style < 0.9:
        name = f"{f[0]} {s}" if rng.random() < 0.5 else f"{s} {f[0]}."
    else:
        name = f"{first} {surname}"  # a bank that keeps accents and case
    return name[:35]


def _wide_name(var: random.Random, prof: Profile, couple: bool) -> str:
    """The tenant's name as banks print it beyond the plain forms: civilities,
    an initial, compound and particle surnames written every way, maiden names."""
    f, s = _ascii_upper(prof.first), _ascii_upper(prof.surname)
    parts = s.replace("-", " ").split()
    if len(parts) > 1:
        s = var.choice((s, " ".join(parts), "".join(parts), parts[-1], s))
    civ = var.choice(("M.", "MME", "Mlle", "M. ou Mme", "MR", "Mme", "M"))
    if couple and var.random() < 0.5:
        civ = var.choice(("M. ou Mme", "M OU MME", "MR ET MME", "Mr et Mme"))
    first = f if var.random() < 0.6 else f"{f[0]}."
    if prof.maiden and var.random() < 0.7:
        m = _ascii_upper(prof.maiden)
        return var.choice(
            (
                f"MME {s} NEE {m}",
                f"{first} {m} EP {s}",
                f"{m} {first}",
                f"MME {first} {s} NEE {m}",
                f"{s} {m} {first}",
            )
        )[:35]
    style = var.random()
    if style < 0.5:
        name = f"{civ} {first} {s}" if var.random() < 0.6 else f"{civ} {s} {first}"
    elif style < 0.7:
        name = f"{civ} {s}"
    else:
        name = f"{s} {first}" if var.random() < 0.5 else f"{first} {s}"
    return name[:35]


def _other_numbers(var: random.Random, prof: Profile) -> str:
    """A text with numbers that are not lease numbers: the bank's reference, the
    flat, the postcode, a date."""
    return var.choice(
        (
            f"VIR REF {var.randrange(10**5, 10**9)}",
            f"LOYER APPT {var.randrange(1, 400)} BAT {var.choice('ABCDE')}",
            f"{var.choice(('45000', '45100', '45140', '45160', '45200'))} {prof.lease.commune}",
            f"N° {var.randrange(100_000, 130_000)} LOYER",
            f"VIREMENT DU {var.randrange(1, 29):02d}112026",
            f"REF {var.randrange(100_000, 130_000)}",
        )
    )


def _guardian_text(var: random.Random, prof: Profile) -> str:
    """The remittance text of a guardian: the protected adult, often the file number."""
    assert prof.guardian is not None
    f, s = _ascii_upper(prof.first), _ascii_upper(prof.surname)
    num = prof.guardian.file_number
    civ = var.choice(("M", "MME", "M.", "Mme", ""))
    return var.choice(
        (
            f"LOYER {civ} {s} {f}",
            f"{s} {f} DOSSIER {num}",
            f"MAJ PROT {s} {f[0]} REF {num}",
            f"{num} {s} {f} LOYER NOV",
            f"PROTEGE {s} {f}",
            f"Loyer {f.title()} {s} dos. {num}",
            f"{civ} {s} {f[0]} - {num}",
            f"LOYER {civ} {s}",
        )
    ).replace("  ", " ")


REMITTANCES = (
    "LOYER",
    "LOYER NOVEMBRE",
    "LOYER 11/2026",
    "VIR SEPA LOYER",
    "",
    "LOYER + CHARGES",
    "loyer nov",
    "PAIEMENT LOYER",
    "VIREMENT PERMANENT",
    "Loyer novembre 2026 merci",
)


SHORT_REMITTANCES = (
    "",
    "",
    "loyer novembre",
    "merci",
    "Merci !",
    "NOV",
    "novembre 2026",
    "LOYER",
    "VIR",
    "nov.",
)


def _ref_text(rng: random.Random, lease_id: str, var: random.Random) -> str:
    style = rng.randrange(5)
    if lease_id.isdigit():  # an ERP number with digits only: tenants add a short prefix
        short = lease_id.lstrip("0")
        return var.choice(
            (
                f"L {lease_id}",
                f"BAIL{short}",
                f"CT-{short}",
                f"BAIL N° {short} LOYER NOV",
                f"loyer {lease_id}",
                f"REF LOC {short}",
                f"Contrat {lease_id} novembre",
                f"LOYER L{short}",
            )
        )
    code, num = lease_id.split("-")
    return (
        f"LOYER {lease_id}",
        f"loyer {code.lower()} {int(num)}",
        f"REF {code}{num} NOV",
        f"Loyer appt {lease_id} nov 2026",
        f"{code} {num} LOYER",
    )[style]


def month(p: Portfolio, seed: int = 7) -> Month:
    rng = random.Random(seed)
    var = random.Random(seed * 7 + 1)  # the wider kinds, on their own stream
    m = Month()
    counter = [0]

    def e2e(prefix: str = "E2E") -> str:
        counter[0] += 1
        return f"{prefix}-{counter[0]:08d}"

    def add(where: list[Transaction], t: Transaction, truth: Truth) -> None:
        where.append(t)
        assert t.end_to_end_id
        m.truth[("tx", t.end_to_end_id)] = truth

    skip_parking = set(p.parkings.values())
    for lid, prof in p.profiles.items():
        lease = prof.lease
        if lid in skip_parking:
            continue  # paid with its flat (or on its own below)
        due = lease.monthly_due_cents
        couple = len(lease.tenants) == 2 and prof.cotenant is None and prof.couple_same_surname
        name = _name(rng, prof.first, prof.surname, couple)
        parking = p.parkings.get(lid)
        if lease.end_date is not None:  # a former tenant paying off arrears to the vIBAN
            amount = min(lease.balance_cents, rng.choice((5_000, 10_000, 15_000)))
            add(
                m.viban,
                Transaction(amount, name, prof.own_iban, lease.viban, e2e(), remittance="SOLDE"),
                Truth("vIBAN", "ended lease", ((lid, amount),)),
            )
            _former_tenant(var, m, prof, couple, e2e, add)
            continue
        if lease.mandate_id:
            t = Transaction(
                due, name, prof.own_iban, end_to_end_id=e2e("SDD"), mandate_id=lease.mandate_id
            )
            add(m.dd_batch, t, Truth("direct debit", "collection", ((lid, due),)))
            if parking:
                pk = p.profiles[parking].lease
                t2 = Transaction(
                    pk.monthly_due_cents,
                    name,
                    prof.own_iban,
                    end_to_end_id=e2e("SDD"),
                    mandate_id=pk.mandate_id,
                )
                add(
                    m.dd_batch,
                    t2,
                    Truth("direct debit", "collection", ((parking, pk.monthly_due_cents),)),
                )
            if rng.random() < 0.04:
                reason = rng.choices(("AM04", "MD06", "AC04", "MS02", "MD07"), (60, 15, 10, 10, 5))[
                    0
                ]
                assert t.end_to_end_id
                ret = Transaction(
                    -due,
                    name,
                    prof.own_iban,
                    end_to_end_id=t.end_to_end_id,
                    mandate_id=lease.mandate_id,
                    return_reason=reason,
                )
                m.returns.append(ret)
                m.truth[("return", t.end_to_end_id)] = Truth(
                    "direct debit", f"return {reason}", ((lid, -due),)
                )
                if rng.random() < 0.5:  # the same return in the bank's pain.002
                    m.pain002.append((t.end_to_end_id, due, reason, lease.mandate_id))
                    m.truth[("pain", t.end_to_end_id)] = Truth(
                        "direct debit", "pain.002 repeat", "nothing"
                    )
            continue
        channel = rng.random()
        if channel < 0.33:
            payer_name, payer_iban = name, prof.own_iban
            if rng.random() < 0.15:  # somebody else pays to the tenant's vIBAN
                payer_name, payer_iban = _name(rng, rng.choice(FIRSTS), "Durand"), _iban(rng)
            amount = due if rng.random() < 0.85 else rng.randrange(due // 3, due)
            add(
                m.viban,
                Transaction(
                    amount,
                    payer_name,
                    payer_iban,
                    lease.viban,
                    e2e(),
                    remittance=rng.choice(REMITTANCES),
                ),
                Truth("vIBAN", "transfer", ((lid, amount),)),
            )
            if parking:
                pk = p.profiles[parking].lease
                add(
                    m.viban,
                    Transaction(pk.monthly_due_cents, name, prof.own_iban, pk.viban, e2e()),
                    Truth("vIBAN", "parking", ((parking, pk.monthly_due_cents),)),
                )
            continue
        if channel < 0.43:
            amount = due if rng.random() < 0.9 else due * 2
            add(
                m.statement,
                Transaction(
                    amount,
                    name,
                    prof.own_iban,
                    end_to_end_id=e2e(),
                    structured_reference=lease.rf_reference,
                ),
                Truth("RF reference", "structured", ((lid, amount),)),
            )
            continue
        _generic(rng, var, p, m, prof, name, e2e, add)

    _not_rent(rng, p, m, e2e, add)
    return m


def _not_rent(rng: random.Random, p: Portfolio, m: Month, e2e: E2e, add: Add) -> None:
    """Credits that are not rent, and the landlord's own debits."""
    n = len(p.leases)
    for _ in range(max(3, n // 150)):
        payer, text = rng.choice(
            (
                ("AXA FRANCE IARD", "INDEMNISATION SINISTRE DDE {n}"),
                ("MAIF", "REGLEMENT SINISTRE {n}"),
                ("CAF DU LOIRET", "APL TIERS PAYANT 11/2026 LOT {n}"),
                ("ENGIE", "REMBOURSEMENT TROP PERCU {n}"),
                ("DGFIP", "DEGREVEMENT TAXE FONCIERE {n}"),
                ("VEOLIA EAU", "AVOIR FACTURE {n}"),
                ("SMABTP", "INDEMNITE DOMMAGE OUVRAGE {n}"),
                ("CONSEIL DEPARTEMENTAL 45", "SUBVENTION REHABILITATION {n}"),
            )
        )
        t = Transaction(
            rng.randrange(5_000, 5_000_000),
            payer,
            _iban(rng),
            end_to_end_id=e2e(),
            remittance=text.format(n=rng.randrange(1000, 99999)),
        )
        add(rng.choice((m.statement, m.mt940)), t, Truth("not rent", payer.split()[0], "not_rent"))
    for _ in range(max(3, n // 200)):
        t = Transaction(
            -rng.randrange(10_000, 2_000_000),
            "ENTREPRISE BATIPRO",
            _iban(rng),
            end_to_end_id=e2e(),
            remittance=f"FACTURE {rng.randrange(1000, 9999)}",
        )
        add(m.statement, t, Truth("debit", "supplier", "not_rent"))


def _former_tenant(
    var: random.Random, m: Month, prof: Profile, couple: bool, e2e: E2e, add: Add
) -> None:
    """A former tenant paying off arrears to the generic IBAN, as the notice of
    the debt says (instalments of a repayment plan, or the whole balance)."""
    lease = prof.lease
    if var.random() < 0.4:
        return
    amount = min(lease.balance_cents, var.choice((3_000, 5_000, 8_000, 10_000, 20_000)))
    if var.random() < 0.25:
        amount = lease.balance_cents
    text = var.choice(
        ("SOLDE", "ARRIERES LOYER", "DETTE", "ECHEANCIER", "plan apurement", "", "REGLEMENT")
    )
    payer = prof.own_iban if var.random() < 0.5 else _iban(var)
    add(
        m.cfonb if var.random() < 0.3 else m.statement,
        Transaction(
            amount, _wide_name(var, prof, couple), payer, end_to_end_id=e2e(), remittance=text
        ),
        Truth("generic IBAN", "former tenant, arrears", ((lease.lease_id, amount),)),
    )


def _varied(var: random.Random, prof: Profile, add: Add, name: str, remit: str) -> Add:
    """``add`` for a payment the tenant's guardian makes, or one whose payer name and
    text come in the wider forms; the generator's plain draws are left untouched."""
    if prof.guardian is not None and var.random() < 0.85:
        g = prof.guardian

        def guardian_add(where: list[Transaction], t: Transaction, truth: Truth) -> None:
            t = replace(
                t,
                counterparty_name=g.name,
                counterparty_iban=g.iban,
                remittance=_guardian_text(var, prof),
            )
            add(where, t, replace(truth, case="guardian, adult named in the text"))

        return guardian_add
    if var.random() < 0.55:
        return add
    short = var.random() < 0.6

    def wide_add(where: list[Transaction], t: Transaction, truth: Truth) -> None:
        changes: dict[str, Any] = {}
        if t.counterparty_iban not in prof.lease.payer_ibans and t.counterparty_name == name:
            changes["counterparty_name"] = _wide_name(var, prof, len(prof.lease.tenants) == 2)
        if short and t.remittance == remit:
            changes["remittance"] = var.choice(SHORT_REMITTANCES)
            if var.random() < 0.2:  # numbers that are not lease numbers
                changes["remittance"] = _other_numbers(var, prof)
        if changes:
            truth = replace(truth, case=f"{truth.case}, as banks print it")
        add(where, replace(t, **changes), truth)

    return wide_add


def _generic(
    rng: random.Random,
    var: random.Random,
    p: Portfolio,
    m: Month,
    prof: Profile,
    name: str,
    e2e: E2e,
    add: Add,
) -> None:
    """A transfer to the landlord's generic IBAN."""
    lease = prof.lease
    lid = lease.lease_id
    due = lease.monthly_due_cents
    parking = p.parkings.get(lid)
    where = m.mt940 if rng.random() < 0.25 else m.statement
    remit = rng.choice(REMITTANCES)
    add = _varied(var, prof, add, name, remit)
    if parking and prof.learned:
        pk = p.profiles[parking].lease
        total = due + pk.monthly_due_cents
        add(
            where,
            Transaction(total, name, prof.own_iban, end_to_end_id=e2e(), remittance=remit),
            Truth("generic IBAN", "flat + parking", ((lid, due), (parking, pk.monthly_due_cents))),
        )
        return
    if prof.cotenant is not None:
        half = due // 2
        c_first, c_surname, c_iban = prof.cotenant
        for who_first, who_surname, iban, amount in (
            (prof.first, prof.surname, prof.own_iban, half),
            (c_first, c_surname, c_iban, due - half),
        ):
            add(
                where,
                Transaction(
                    amount,
                    _name(rng, who_first, who_surname),
                    iban,
                    end_to_end_id=e2e(),
                    remittance=remit,
                ),
                Truth("generic IBAN", "co-tenant share", ((lid, amount),)),
            )
        return
    if prof.learned:
        r = rng.random()
        amount = (
            due
            if r < 0.8
            else (rng.randrange(due // 4, due) if r < 0.9 else due * rng.choice((2, 3)))
        )
        case = (
            "known payer"
            if r < 0.8
            else ("known payer, partial" if r < 0.9 else "known payer, lump")
        )
        add(
            where,
            Transaction(amount, name, prof.own_iban, end_to_end_id=e2e(), remittance=remit),
            Truth("generic IBAN", case, ((lid, amount),)),
        )
        return
    # a payer Encaisse has not seen yet: a CFONB 120 statement carries no IBAN at all
    where = m.cfonb if rng.random() < 0.5 else m.statement
    r = rng.random()
    if r < 0.45:
        amount = due if lease.balance_cents <= due or rng.random() < 0.5 else lease.balance_cents
        add(
            where,
            Transaction(amount, name, _iban(rng), end_to_end_id=e2e(), remittance=remit),
            Truth("generic IBAN", "new payer, name + amount", ((lid, amount),)),
        )
    elif r < 0.65:
        amount = rng.choice((due, due, rng.randrange(due // 3, due)))
        add(
            where,
            Transaction(
                amount, name, _iban(rng), end_to_end_id=e2e(), remittance=_ref_text(rng, lid, var)
            ),
            Truth("generic IBAN", "lease number in text", ((lid, amount),)),
        )
    elif r < 0.8:
        relative = _name(
            rng, rng.choice(FIRSTS), rng.choice(("Benali", "Traoré", "Morel", "Girard"))
        )
        who = f"{_ascii_upper(prof.surname)} {_ascii_upper(prof.first)}"
        text = f"LOYER {rng.choice(('MME', 'M', ''))} {who}"
        add(
            where,
            Transaction(due, relative, _iban(rng), end_to_end_id=e2e(), remittance=text.strip()),
            Truth("generic IBAN", "relative, tenant named", ((lid, due),)),
        )
    elif r < 0.88:
        add(
            where,
            Transaction(
                due * 2, name, _iban(rng), end_to_end_id=e2e(), remittance="LOYERS OCT NOV"
            ),
            Truth("generic IBAN", "new payer, two months", ((lid, due * 2),)),
        )
    elif r < 0.94:
        amount = rng.randrange(due // 4, due - 100)
        add(
            where,
            Transaction(amount, name, _iban(rng), end_to_end_id=e2e(), remittance=remit),
            Truth("generic IBAN", "new payer, partial", ((lid, amount),)),
        )
    else:
        stranger = _name(rng, rng.choice(FIRSTS), rng.choice(("Durand", "Petit", "Roux")))
        add(
            where,
            Transaction(due, stranger, _iban(rng), end_to_end_id=e2e(), remittance="VIREMENT"),
            Truth("generic IBAN", "unknown third party", ((lid, due),)),
        )
