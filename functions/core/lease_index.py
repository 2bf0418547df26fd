"""An in-memory index of one organisation's leases, for matching at bank-file speed.

Built once per organisation (the match handler caches it and refreshes it), it
answers every lookup the matcher needs in constant time: vIBAN, RF reference,
mandate (RUM), lease number, learned payer IBAN, surname, surname + first name,
amount due. Leases that end stay in it: a former tenant may pay off arrears.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar, cast

from functions.core.lease import Lease
from functions.core.names import PersonName, fold, parse_person, tokens


class StrongDirectory(Protocol):
    """Looks leases up by strong identifiers, within one organisation."""

    def by_viban(self, org_id: str, iban: str) -> Lease | None: ...

    def by_rf(self, org_id: str, reference: str) -> Lease | None: ...


K = TypeVar("K", bound=Hashable)
H = TypeVar("H", bound=Hashable)


class Postings(Generic[K]):
    """Lease ids by key. Most keys (a payer IBAN, a lease number, a first name
    with a surname) belong to one lease: such a key holds the id itself, not a
    set of one (a set costs 216 bytes, 50,000 leases have ~600,000 keys)."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: dict[K, str | set[str]] = {}

    def __contains__(self, key: K) -> bool:
        return key in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def add(self, key: K, lid: str) -> None:
        ids = self._ids.get(key)
        if ids is None:
            self._ids[key] = lid
        elif isinstance(ids, str):
            if ids != lid:
                self._ids[key] = {ids, lid}
        else:
            ids.add(lid)

    def discard(self, key: K, lid: str) -> None:
        ids = self._ids.get(key)
        if ids is None:
            return
        if isinstance(ids, str):
            if ids == lid:
                del self._ids[key]
            return
        ids.discard(lid)
        if len(ids) == 1:
            self._ids[key] = next(iter(ids))

    def get(self, key: K) -> set[str]:
        """The ids under ``key``: a set the caller must not change."""
        ids = self._ids.get(key)
        if ids is None:
            return set()
        return {ids} if isinstance(ids, str) else ids


class _Shared:
    """One copy of each equal word and word set of an index: 50,000 leases name a
    few thousand first names and surnames, each otherwise held once per tenant."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[Hashable, Hashable] = {}

    def one(self, value: H) -> H:
        """The first value equal to ``value`` this index was given."""
        return cast(H, self._values.setdefault(value, value))

    def words(self, values: Iterable[str]) -> frozenset[str]:
        return self.one(frozenset(sys.intern(v) for v in values))

    def person(self, p: PersonName) -> PersonName:
        return PersonName(
            first=self.words(p.first),
            surname=self.one(tuple(sys.intern(w) for w in p.surname)),
            other_surnames=self.one(
                tuple(tuple(sys.intern(w) for w in name) for name in p.other_surnames)
            ),
            initials=self.words(p.initials),
            surname_keys=self.one(tuple(self.words(k) for k in p.surname_keys)),
            surname_parts=self.words(p.surname_parts),
        )


def compact(value: str) -> str:
    """Upper case, letters and digits only: how identifiers are compared."""
    return fold(value).replace(" ", "")


def lease_refs(lease_id: str) -> set[str]:
    """Ways a tenant writes a lease number: "TIL-00042" → TIL00042, TIL42."""
    key = compact(lease_id)
    refs = {key}
    head = key.rstrip("0123456789")
    digits = key[len(head) :]
    if head and digits and digits.lstrip("0"):
        refs.add(head + digits.lstrip("0"))
    return {r for r in refs if len(r) >= 4}


LEASE_PREFIXES = frozenset({"L", "BAIL", "CT", "CTR", "CONTRAT", "LOC", "LOCATION"})
"""Short words tenants put before a numeric lease number ("L 0012345", "BAIL12345",
"CT-12345"); a bare number without one may be a postcode or a guardian's file."""
_NUMBER_WORDS = frozenset({"N", "NO", "NUM", "NUMERO", "REF"})
# "REF" alone introduces any reference (a bank's, an invoice's): only "BAIL REF 12345".
_PREFIXED = re.compile(r"([A-Z]+)(\d+)")


BARE_DIGITS = 6
"""A numeric lease number is read without a prefix only from this many digits."""


def short_ref(lease_id: str) -> str | None:
    """A numeric lease number without its leading zeros ("0012345" → "12345")."""
    key = compact(lease_id)
    short = key.lstrip("0")
    return short if key.isdigit() and len(short) >= 3 else None


def prefixed_numbers(words: Sequence[str]) -> Iterator[str]:
    """Numbers the text introduces with a lease prefix: "L 0012345", "BAIL12345",
    "CT 12345", "BAIL N 12345", "REF LOC 12345"."""
    for i, w in enumerate(words):
        m = _PREFIXED.fullmatch(w)
        if m and m.group(1) in LEASE_PREFIXES:
            yield m.group(2)
            continue
        if w not in LEASE_PREFIXES:
            continue
        rest = [
            x for x in words[i + 1 : i + 4] if x not in _NUMBER_WORDS and x not in LEASE_PREFIXES
        ]
        if rest and rest[0].isdigit() and words[i + 1 : i + 4].index(rest[0]) <= 2:
            yield rest[0]


@dataclass(frozen=True, slots=True)
class IndexedLease:
    lease: Lease
    persons: tuple[PersonName, ...]
    tenant_key: str
    """The same tenant(s) on several leases (a flat and its parking) share this key."""
    couples: frozenset[str]
    """Surname words shared by two tenants of the lease (a married couple)."""
    explained: frozenset[str]
    """Every name word of the lease's tenants (first names, surnames, glued forms)."""


def _tenant_key(lease: Lease) -> str:
    """The household (compte locataire) when the ERP gives it, else the tenants'
    names (folded, sorted, one per line: equal keys are the same people)."""
    if lease.household_id:
        return f"household {lease.household_id}"
    return "\n".join(sorted({fold(t.name) for t in lease.tenants}))


def _numbers(lease: Lease) -> tuple[set[str], set[str]]:
    """Ways the lease's number (and the ERP's own number) may be written; and the
    numeric ones without their leading zeros, read only after a prefix."""
    refs: set[str] = set()
    shorts: set[str | None] = set()
    for number in (lease.lease_id, lease.external_id):
        if number:
            refs |= lease_refs(number)
            shorts.add(short_ref(number))
    # A short bare number may be a postcode or an amount: read after a prefix only.
    bare = {r for r in refs if r.isdigit() and len(r) < BARE_DIGITS}
    shorts |= {r.lstrip("0") for r in bare if len(r.lstrip("0")) >= 3}
    return refs - bare, {x for x in shorts if x}


def known_ibans(lease: Lease) -> tuple[str, ...]:
    """Accounts known to pay this lease: confirmed payers and the mandate's debtor."""
    if lease.mandate is not None and lease.mandate.debtor_iban not in lease.payer_ibans:
        return (*lease.payer_ibans, lease.mandate.debtor_iban)
    return lease.payer_ibans


def _indexed(lease: Lease, shared: _Shared) -> IndexedLease:
    persons = tuple(shared.person(parse_person(t.name)) for t in lease.tenants)
    key = _tenant_key(lease)
    seen: dict[str, int] = {}
    for p in persons:
        for w in p.surname_parts:
            seen[w] = seen.get(w, 0) + 1
    couples = shared.words(w for w, n in seen.items() if n > 1)
    explained: set[str] = set()
    for p in persons:
        explained |= p.first | p.surname_parts
        explained.update(w for k in p.surname_keys for w in k)
        explained.update(p.surname)
        explained.update(w for name in p.other_surnames for w in name)
    return IndexedLease(lease, persons, key, couples, frozenset(explained))


class LeaseIndex:
    """Every lease of one organisation, looked up by what a payment may carry."""

    def __init__(
        self, org_id: str, leases: Iterable[Lease] = (), fallback: StrongDirectory | None = None
    ) -> None:
        self.org_id = org_id
        self.fallback = fallback
        self._leases: dict[str, IndexedLease] = {}
        self._shared = _Shared()
        self._viban: dict[str, str] = {}
        self._rf: dict[str, str] = {}
        self._mandate: dict[str, str] = {}
        self._ref: Postings[str] = Postings()
        self._short_ref: Postings[str] = Postings()
        self._three_part = False
        """Some lease number is written in three parts ("OPH-0010666-02")."""
        self._payer: Postings[str] = Postings()
        self._surname: Postings[str] = Postings()
        self._pair: Postings[tuple[str, str]] = Postings()
        self._couple: Postings[str] = Postings()
        self._amount: Postings[int] = Postings()
        self._household: Postings[str] = Postings()
        self._not_viban: set[str] = set()
        for lease in leases:
            self.put(lease)

    def __len__(self) -> int:
        return len(self._leases)

    def __iter__(self) -> Iterator[Lease]:
        return (x.lease for x in self._leases.values())

    # ------------------------------------------------------------ maintenance

    def put(self, lease: Lease) -> None:
        """Add a lease, or replace it by a newer version (balance, learned IBANs)."""
        if lease.org_id != self.org_id:
            return
        old = self._leases.get(lease.lease_id)
        if old is not None:
            self._remove(old)
        entry = _indexed(lease, self._shared)
        self._leases[lease.lease_id] = entry
        lid = lease.lease_id
        if lease.viban:
            self._viban[compact(lease.viban)] = lid
        if lease.rf_reference:
            self._rf[compact(lease.rf_reference)] = lid
        if lease.mandate_id:
            self._mandate[compact(lease.mandate_id)] = lid
        refs, shorts = _numbers(lease)
        if lease.external_id and len(tokens(lease.external_id)) > 2:
            self._three_part = True
        for ref in refs:
            self._ref.add(ref, lid)
        for short in shorts:
            self._short_ref.add(short, lid)
        for iban in known_ibans(lease):
            self._payer.add(compact(iban), lid)
        for word, pair in self._name_keys(entry):
            self._surname.add(word, lid)
            for p in pair:
                self._pair.add((word, p), lid)
        for word in entry.couples:
            self._couple.add(word, lid)
        for amount in self._amounts(lease):
            self._amount.add(amount, lid)
        if lease.household_id:
            self._household.add(lease.household_id, lid)

    def refresh(self, leases: Iterable[Lease]) -> None:
        """Bring the index to the store's leases, in place: only the leases that
        changed are indexed again, and the index never exists twice in memory."""
        seen: set[str] = set()
        for lease in leases:
            if lease.org_id != self.org_id:
                continue
            seen.add(lease.lease_id)
            old = self._leases.get(lease.lease_id)
            # A stale read (an older version than a booking left here) changes nothing.
            if old is None or (old.lease != lease and lease.version >= old.lease.version):
                self.put(lease)
        for lid in [lid for lid in self._leases if lid not in seen]:
            self._remove(self._leases.pop(lid))

    def _remove(self, entry: IndexedLease) -> None:
        lid = entry.lease.lease_id
        for keys, value in (
            (self._viban, entry.lease.viban),
            (self._rf, entry.lease.rf_reference),
            (self._mandate, entry.lease.mandate_id),
        ):
            key = compact(value) if value else ""
            if key and keys.get(key) == lid:
                del keys[key]
        refs, shorts = _numbers(entry.lease)
        for ref in refs:
            self._ref.discard(ref, lid)
        for short in shorts:
            self._short_ref.discard(short, lid)
        for iban in known_ibans(entry.lease):
            self._payer.discard(compact(iban), lid)
        for word, pair in self._name_keys(entry):
            self._surname.discard(word, lid)
            for p in pair:
                self._pair.discard((word, p), lid)
        for word in entry.couples:
            self._couple.discard(word, lid)
        for amount in self._amounts(entry.lease):
            self._amount.discard(amount, lid)
        if entry.lease.household_id:
            self._household.discard(entry.lease.household_id, lid)

    @staticmethod
    def _name_keys(entry: IndexedLease) -> list[tuple[str, frozenset[str]]]:
        out: list[tuple[str, frozenset[str]]] = []
        for person in entry.persons:
            pair = person.first | person.initials
            words = set(person.surname_parts)
            for key in person.surname_keys:
                words |= key
            out.extend((w, pair) for w in words)
        return out

    @staticmethod
    def _amounts(lease: Lease) -> set[int]:
        out = {lease.monthly_due_cents} if lease.monthly_due_cents > 0 else set()
        if lease.balance_cents > 0:
            out.add(lease.balance_cents)
        return out

    def never_a_viban(self, iban: str) -> None:
        """An account no lease's vIBAN can be (the landlord's collection account): a
        payment notified on it is not looked up in the store as a new lease's vIBAN."""
        self._not_viban.add(compact(iban))

    # ------------------------------------------------------------ lookups

    def get(self, lease_id: str) -> Lease | None:
        entry = self._leases.get(lease_id)
        return entry.lease if entry else None

    def entry(self, lease_id: str) -> IndexedLease:
        return self._leases[lease_id]

    def household(self, household_id: str) -> list[Lease]:
        """The leases of one household (compte locataire), in no particular order."""
        return [self._leases[lid].lease for lid in self._household.get(household_id)]

    def by_viban(self, org_id: str, iban: str) -> Lease | None:
        if org_id != self.org_id:
            return None
        key = compact(iban)
        lid = self._viban.get(key)
        if lid is not None:
            return self._leases[lid].lease
        if key in self._not_viban:
            return None
        return self._from_fallback(self.fallback.by_viban(org_id, iban) if self.fallback else None)

    def by_rf(self, org_id: str, reference: str) -> Lease | None:
        if org_id != self.org_id:
            return None
        lid = self._rf.get(compact(reference))
        if lid is not None:
            return self._leases[lid].lease
        return self._from_fallback(
            self.fallback.by_rf(org_id, reference) if self.fallback else None
        )

    def _from_fallback(self, lease: Lease | None) -> Lease | None:
        """A lease created after the index was built: found by its index, then kept."""
        if lease is not None and lease.org_id == self.org_id:
            self.put(lease)
            return lease
        return None

    def by_mandate(self, mandate_id: str) -> Lease | None:
        lid = self._mandate.get(compact(mandate_id))
        return self._leases[lid].lease if lid else None

    def by_ref(self, ref: str) -> set[str]:
        return self._ref.get(ref)

    def by_payer_iban(self, iban: str) -> set[str]:
        return self._payer.get(compact(iban))

    def by_surname(self, word: str) -> set[str]:
        return self._surname.get(word)

    def by_name_pair(self, surname_word: str, first_or_initial: str) -> set[str]:
        return self._pair.get((surname_word, first_or_initial))

    def couples_named(self, surname_word: str) -> set[str]:
        """Leases of a couple sharing this surname ("M OU MME DUPONT")."""
        return self._couple.get(surname_word)

    def is_surname(self, word: str) -> bool:
        return word in self._surname

    def by_amount(self, amount_cents: int) -> set[str]:
        return self._amount.get(amount_cents)

    def refs_in(self, words: Sequence[str]) -> set[str]:
        """Lease ids written in a text's words ("TIL-00042", "TIL 42", "til00042")."""
        found: set[str] = set()
        for i, w in enumerate(words):
            found |= self._ref.get(w)
            if i + 1 < len(words):
                found |= self._ref.get(w + words[i + 1])
            if self._three_part and i + 2 < len(words):  # "OPH-0010666-02"
                found |= self._ref.get(w + words[i + 1] + words[i + 2])
        return found

    def prefixed_refs_in(self, words: Sequence[str]) -> set[str]:
        """Numeric lease numbers quoted with a short prefix, leading zeros or not."""
        found: set[str] = set()
        for number in prefixed_numbers(words):
            found |= self._ref.get(number) | self._short_ref.get(number.lstrip("0"))
        return found
