from __future__ import annotations

import pytest

from functions.core.names import NameMatch, fold, match_person, parse_payer, parse_person


def test_fold_drops_accents_ligatures_and_punctuation() -> None:
    assert fold("Zoé LEFÈVRE-Cœur") == "ZOE LEFEVRE COEUR"
    assert fold("N'Diaye, Aïcha") == "N DIAYE AICHA"


def test_payer_civilities_and_couples() -> None:
    p = parse_payer("M. OU MME DUPONT JEAN")
    assert {"DUPONT", "JEAN"} <= p.words and "M" not in p.words and "OU" not in p.words
    assert p.couple
    assert parse_payer("EPOUX MARTIN").couple
    assert parse_payer("MR ET MME MARTIN").couple
    assert not parse_payer("MLLE CHLOE MARTIN").couple
    assert not parse_payer("MME M. CHEVALIER").couple  # M. is her initial here
    assert parse_payer("M. ou Mme HOARAU M.").couple
    assert parse_payer("J. DUPONT").initials == {"J"}


def test_particles_are_also_read_glued() -> None:
    assert "DASILVA" in parse_payer("DA SILVA MARIE").words
    assert "NDIAYE" in parse_payer("N DIAYE FATOU").words


def test_person_surname_is_the_word_in_capitals() -> None:
    p = parse_person("Jean-Baptiste DA SILVA")
    assert p.surname == ("DA", "SILVA")
    assert {"JEAN", "BAPTISTE", "JEANBAPTISTE"} <= p.first
    assert parse_person("Marie DUPONT née MARTIN").other_surnames == (("MARTIN",),)
    assert parse_person("jean dupont").surname == ("DUPONT",)


@pytest.mark.parametrize(
    ("payer", "tenant", "level"),
    [
        ("LEFEVRE ZOE", "Zoé LEFÈVRE", NameMatch.FULL),
        ("MME ZOE LEFEVRE", "Zoé LEFÈVRE", NameMatch.FULL),
        ("Z LEFEVRE", "Zoé LEFÈVRE", NameMatch.INITIAL),
        ("M OU MME LEFEVRE", "Zoé LEFÈVRE", NameMatch.SURNAME),
        ("DUPONT MARIE", "Marie MARTIN épouse DUPONT", NameMatch.FULL),
        ("MME MARIE DUPONT NEE MARTIN", "Marie MARTIN", NameMatch.FULL),
        ("DELACROIX FERRAND LOIC", "Loïc DELACROIX-FERRAND", NameMatch.FULL),
        ("DELACROIX LOIC", "Loïc DELACROIX-FERRAND", NameMatch.PARTIAL),
        ("DASILVA ANNE SOPHIE", "Anne-Sophie DA SILVA", NameMatch.FULL),
        ("BEN SAID KARIM", "Karim BEN SAÏD", NameMatch.FULL),
        ("LEFEBVRE ZOE", "Zoé LEFÈVRE", NameMatch.NONE),
        ("SILVA", "Anne-Sophie DA SILVA", NameMatch.SURNAME),
        ("DA MARIE", "Marie DA SILVA", NameMatch.NONE),
        ("MME DUPONT NEE MARTIN", "Marie DUPONT née MARTIN", NameMatch.BOTH_SURNAMES),
        ("MME DUPONT MARTIN", "Marie MARTIN épouse DUPONT", NameMatch.BOTH_SURNAMES),
        ("MME DUPONT", "Marie DUPONT née MARTIN", NameMatch.SURNAME),
        ("DUPONT MARTIN", "Marie DUPONT", NameMatch.SURNAME),
        ("MME M. CHEVALIER", "Mohamed CHEVALIER", NameMatch.INITIAL),
        ("CHEVALIER M.", "Mohamed CHEVALIER", NameMatch.INITIAL),
        ("M CHEVALIER", "Mohamed CHEVALIER", NameMatch.SURNAME),
        ("M OU MME CHEVALIER", "Mohamed CHEVALIER", NameMatch.SURNAME),
        ("CHEVALIER M OU MME", "Mohamed CHEVALIER", NameMatch.SURNAME),
    ],
)
def test_name_levels(payer: str, tenant: str, level: str) -> None:
    assert match_person(parse_payer(payer), parse_person(tenant)) == level
