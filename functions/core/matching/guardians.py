"""Guardians: a UDAF, an ATI or a mandataire judiciaire paying for a protected adult.

The account holder is the guardian, not the tenant: the payer name says nothing
about the lease (an independent mandataire's own name may even be a tenant's),
the guardian's IBAN pays for many adults, and the adult is named only in the
remittance text, often beside the guardian's file number.
"""

from __future__ import annotations

from functions.core.names import PayerName

GUARDIAN_WORDS = frozenset(
    {
        "UDAF",  # Union départementale des associations familiales
        "ATI",  # Association tutélaire interdépartementale
        "ATMP",  # Association tutélaire des majeurs protégés
        "APAJH",
        "MJPM",  # mandataire judiciaire à la protection des majeurs
        "MANDATAIRE",
        "MANDATAIRES",
        "TUTELAIRE",
        "TUTELAIRES",
        "TUTELLE",
        "TUTELLES",
        "TUTEUR",
        "TUTRICE",
        "CURATELLE",
        "CURATEUR",
        "CURATRICE",
    }
)


def guardian_word(payer: PayerName) -> str | None:
    """The word showing that the payer is a guardian, if any."""
    hit = payer.words & GUARDIAN_WORDS
    return min(hit) if hit else None
