"""French personal names as banks print them and as landlords record them.

A bank prints the payer's account holder name: upper case, accents dropped,
word order free ("DUPONT JEAN" or "JEAN DUPONT"), civilities in front ("M. OU MME",
"EPOUX", "MLLE"), first names cut to initials ("J DUPONT"), maiden names after
"NEE", compound surnames with or without their hyphen ("DELACROIX FERRAND",
"DELACROIX-FERRAND"), particles glued or not ("DA SILVA", "DASILVA").

The landlord's ERP records a tenant as "Jean DUPONT" (surname in capitals, the
French administrative convention), sometimes with "née MARTIN".

Matching works on normalized tokens: a payer name is a set of words; a tenant
is a first-name set, a surname set and the maiden (or married) surnames.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Civilities and joining words a bank puts around names ("M. OU MME", "EPOUX").
CIVILITIES = frozenset(
    {
        "M",
        "MR",
        "MM",
        "MME",
        "MMES",
        "MLLE",
        "MLE",
        "MELLE",
        "MONSIEUR",
        "MADAME",
        "MADEMOISELLE",
        "MRS",
        "MS",
        "DR",
        "ME",
        "SR",
        "STE",
    }
)
COUPLE_WORDS = frozenset({"EPOUX", "EPX", "CONSORTS", "FAMILLE", "FAM", "MMES", "MM"})
JOINERS = frozenset({"OU", "ET", "AND", "OR", "CHEZ"})
# Words introducing a birth (maiden) or married name: "NEE MARTIN", "EP DUPONT".
NAME_LINKS = frozenset({"NEE", "NE", "EPOUSE", "EP", "EPSE", "VEUVE", "VVE", "DITE", "DIT"})
# Surname particles: never enough alone to identify a surname.
PARTICLES = frozenset(
    {"DE", "DU", "DES", "DA", "DOS", "DAS", "DI", "LE", "LA", "LES", "VAN", "VON", "BEN", "EL"}
)
PARTICLES |= {"AL", "BOU", "N", "D", "L", "MAC", "MC", "O", "SAINT", "ST", "STE", "DEL"}

_NON_ALNUM = re.compile(r"[^A-Z0-9]+")


@lru_cache(maxsize=65_536)
def fold(text: str) -> str:
    """Upper case, accents and ligatures removed, punctuation as single spaces."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    text = text.replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").upper()
    return _NON_ALNUM.sub(" ", ascii_only).strip()


def tokens(text: str) -> tuple[str, ...]:
    """The words of ``text`` once folded (digits kept)."""
    folded = fold(text)
    return tuple(folded.split()) if folded else ()


@dataclass(frozen=True, slots=True)
class PayerName:
    """A payer's name as printed by a bank, reduced to what identifies people."""

    words: frozenset[str]
    """Name words (civilities and joiners removed), plus glued pairs ("DA SILVA" → "DASILVA")."""
    initials: frozenset[str]
    """Single letters, read as first-name initials ("J DUPONT")."""
    couple: bool
    """"M OU MME", "EPOUX", "MR ET MME": an account held by a couple."""
    plain: tuple[str, ...] = ()
    """The words as printed (no glued pairs), except those after "NEE"/"EP": a name
    word the tenant does not have is a sign of another person."""


@lru_cache(maxsize=65_536)
def parse_payer(text: str) -> PayerName:
    raw = tokens(text)
    words: set[str] = set()
    initials: set[str] = set()
    civilities = 0
    couple = False
    kept: list[str] = []
    plain: list[str] = []
    linked = False
    for i, w in enumerate(raw):
        if w in COUPLE_WORDS:
            couple = True
        if w in CIVILITIES and not _initial_m(raw, i):
            civilities += 1
            continue
        if w in NAME_LINKS:
            linked = True
            continue
        if w in JOINERS or w in COUPLE_WORDS:
            continue
        if w.isdigit():
            continue
        if len(w) == 1:
            initials.add(w)
            kept.append(w)
            continue
        words.add(w)
        kept.append(w)
        if not linked and w not in PARTICLES:
            plain.append(w)
    if civilities >= 2 or (civilities and ("OU" in raw or "ET" in raw)):
        couple = True
    for a, b in itertools.pairwise(kept):
        words.add(a + b)  # "DA SILVA" → "DASILVA", "N DIAYE" → "NDIAYE"
    return PayerName(frozenset(words), frozenset(initials), couple, tuple(plain))


_AROUND_CIVILITY = JOINERS | COUPLE_WORDS | (CIVILITIES - {"M"})


def _initial_m(raw: tuple[str, ...], i: int) -> bool:
    """ "M" is "Monsieur" first or beside "OU"/"ET"/"MME" ("M OU MME DUPONT"), but an
    initial after a name or a civility ("DUPONT M", "MME M CHEVALIER")."""
    if raw[i] != "M" or i == 0:
        return False
    after = raw[i + 1] if i + 1 < len(raw) else ""
    return raw[i - 1] not in JOINERS and after not in _AROUND_CIVILITY


@dataclass(frozen=True, slots=True)
class PersonName:
    """A tenant as the ERP records them."""

    first: frozenset[str]
    """First-name words ("Jean-Baptiste" → JEAN, BAPTISTE, JEANBAPTISTE)."""
    surname: tuple[str, ...]
    """Surname words in order, particles included ("DA", "SILVA")."""
    other_surnames: tuple[tuple[str, ...], ...] = ()
    """Birth or married surnames given after "née"/"épouse"."""
    initials: frozenset[str] = frozenset()
    surname_keys: tuple[frozenset[str], ...] = ()
    """Ways a bank may write each surname: its distinctive words, or glued whole."""
    surname_parts: frozenset[str] = frozenset()
    """Distinctive single words of the surnames (one half of a compound surname)."""

    @classmethod
    def of(
        cls,
        first: frozenset[str],
        surname: tuple[str, ...],
        other_surnames: tuple[tuple[str, ...], ...] = (),
    ) -> PersonName:
        keys = []
        for name in (surname, *other_surnames):
            if not name:
                continue
            core = frozenset(w for w in name if w not in PARTICLES and len(w) > 1)
            if core:
                keys.append(core)
            if len(name) > 1:
                keys.append(frozenset({"".join(name)}))
        parts = frozenset(
            w
            for name in (surname, *other_surnames)
            for w in name
            if w not in PARTICLES and len(w) > 1
        )
        initials = frozenset(w[0] for w in first if w)
        return cls(first, surname, other_surnames, initials, tuple(keys), parts)


def _split_first(words: list[str]) -> frozenset[str]:
    out: set[str] = set()
    for w in words:
        parts = tokens(w)
        out.update(p for p in parts if len(p) > 1)
        if len(parts) > 1:
            out.add("".join(parts))
    return frozenset(out)


def parse_person(text: str) -> PersonName:
    """A tenant's name from the ERP: capitalised words are the surname.

    "Jean-Baptiste N'DIAYE", "Marie DUPONT née MARTIN", "DUPONT Marie". Without a
    word in capitals, the last word is taken as the surname.
    """
    raw_words = [w for w in re.split(r"\s+", text.strip()) if w]
    main: list[str] = []
    others: list[list[str]] = []
    current = main
    for w in raw_words:
        folded = fold(w)
        if not folded:
            continue
        if folded in NAME_LINKS:
            others.append([])
            current = others[-1]
            continue
        if folded in CIVILITIES and current is main and not main:
            continue
        current.append(w)
    letters = [w for w in main if any(c.isalpha() for c in w)]
    upper = [w for w in letters if w.upper() == w and sum(c.isalpha() for c in w) > 1]
    if upper and len(upper) < len(letters):
        surname_raw = upper
        first_raw = [w for w in main if w not in upper]
    elif len(main) > 1:
        surname_raw, first_raw = main[-1:], main[:-1]
    else:
        surname_raw, first_raw = main, []
    surname = tuple(t for w in surname_raw for t in tokens(w))
    other = tuple(tuple(t for w in o for t in tokens(w)) for o in others if o)
    return PersonName.of(_split_first(first_raw), surname, other)


class NameMatch:
    """How well a payer name fits one tenant, strongest first."""

    FULL = "full"  # surname and a first name
    INITIAL = "initial"  # surname and the first name's initial
    BOTH_SURNAMES = "both_surnames"  # married and birth surnames ("DUPONT NEE MARTIN")
    PARTIAL = "partial"  # part of a compound surname and a first name
    SURNAME = "surname"  # surname only
    NONE = "none"


def match_person(payer: PayerName, person: PersonName) -> str:
    words = payer.words
    surname = any(key <= words for key in person.surname_keys)
    first = bool(person.first & words)
    if surname:
        if first:
            return NameMatch.FULL
        if person.initials & payer.initials:
            return NameMatch.INITIAL
        if _both_surnames(person, words):
            return NameMatch.BOTH_SURNAMES
        return NameMatch.SURNAME
    if first and person.surname_parts & words:
        return NameMatch.PARTIAL
    return NameMatch.NONE


def _both_surnames(person: PersonName, words: frozenset[str]) -> bool:
    """The payer gives the tenant's surname and their birth (or married) one."""
    return _named(person.surname, words) and any(
        _named(other, words) for other in person.other_surnames
    )


def _named(surname: tuple[str, ...], words: frozenset[str]) -> bool:
    """This one surname is in the payer's words (its distinctive words, or glued)."""
    core = frozenset(w for w in surname if w not in PARTICLES and len(w) > 1)
    return bool(core and core <= words) or (len(surname) > 1 and "".join(surname) in words)
