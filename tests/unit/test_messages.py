from __future__ import annotations

from datetime import date

import pytest

from functions.core.errors import InvalidReferenceError, ValidationError
from functions.core.messages import (
    DebtNotice,
    Landlord,
    dunning_letter,
    format_date_fr,
    gsm7,
    payment_link,
    referral_email,
    referral_sms,
    reminder_email,
    reminder_sms,
    sms_number,
)
from functions.core.rf import format_rf, make_rf
from functions.core.viban import VirtualIbanRange, format_iban

IBAN = VirtualIbanRange("30004", "00821", "57").iban_for(7)
RF = make_rf(IBAN[4:25])
LANDLORD = Landlord("Habitat Rhône Social", adviser_phone="04 72 00 00 00")
NOTICE = DebtNotice(
    tenant_names="Mme Awa Diallo",
    address_lines=("Appartement 12", "Résidence Les Tilleuls", "Villeurbanne"),
    amount_cents=123456,
    iban=IBAN,
    rf_reference=RF,
    payment_url=payment_link("https://portail.example.fr/", RF),
    bic="BNPAFRPP",
    oldest_unpaid=date(2026, 2, 5),
)
AMOUNT = "1\u202f234,56\u00a0€"

# GSM 03.38 basic alphabet and extension table: an SMS outside it is sent in UCS-2,
# 70 characters a part instead of 160.
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
) | set("^{}\\[~]|€")
# Words that would threaten beyond the legal facts of the amicable phase.
THREATS = (
    "huissier",
    "saisie",
    "expulsion immédiate",
    "poursuites pénales",
    "dernier avertissement",
)


def test_payment_link_carries_the_checked_reference() -> None:
    assert payment_link("https://p.example.fr/", RF.lower()) == f"https://p.example.fr/?ref={RF}"
    with pytest.raises(InvalidReferenceError):
        payment_link("https://p.example.fr", "RF00XYZ")


@pytest.mark.parametrize("level", [1, 2])
def test_reminder_emails_say_how_much_how_to_pay_and_who_helps(level: int) -> None:
    email = reminder_email(level, NOTICE, LANDLORD)
    assert AMOUNT in email.subject
    text = email.text
    assert text.startswith("Bonjour Mme Awa Diallo,")
    assert AMOUNT in text
    assert "Appartement 12, Résidence Les Tilleuls, Villeurbanne" in text
    assert f"https://portail.example.fr/?ref={RF}" in text
    assert format_iban(IBAN) in text
    assert "BNPAFRPP" in text
    assert format_rf(RF) in text
    assert "conseillère sociale" in text
    assert "04 72 00 00 00" in text
    assert "Cordialement" in text
    assert not any(word in text.lower() for word in THREATS)


def test_first_reminder_is_friendly_second_mentions_the_next_step() -> None:
    first = reminder_email(1, NOTICE, LANDLORD).text
    second = reminder_email(2, NOTICE, LANDLORD).text
    assert "oubli" in first
    assert "mise en demeure" not in first
    assert "échéancier" in second
    assert "mise en demeure" in second


def test_reminder_level_is_checked() -> None:
    with pytest.raises(ValidationError):
        reminder_email(3, NOTICE, LANDLORD)
    with pytest.raises(ValidationError):
        reminder_sms(0, NOTICE, LANDLORD)


@pytest.mark.parametrize(
    "sms",
    [
        reminder_sms(1, NOTICE, LANDLORD),
        reminder_sms(2, NOTICE, LANDLORD),
        referral_sms(NOTICE, LANDLORD),
    ],
)
def test_sms_are_short_gsm7_and_carry_the_amount(sms: str) -> None:
    assert "1 234,56 €" in sms
    assert set(sms) <= GSM7, set(sms) - GSM7
    assert len(sms) <= 306  # two concatenated parts at most
    assert sms.startswith("Habitat Rhone Social : ")  # ô is not GSM 7-bit


def test_sms_without_an_adviser_phone_still_invites_contact() -> None:
    sms = reminder_sms(1, NOTICE, Landlord("OPH de Lyon"))
    assert "Contactez-nous." in sms
    assert "payé" in sms


def test_referral_email_names_the_help_and_the_legal_fact() -> None:
    email = referral_email(NOTICE, LANDLORD)
    for words in ("plan d'apurement", "FSL", "CCAPEX", "APL", AMOUNT, f"?ref={RF}"):
        assert words in email.text
    assert not any(word in email.text.lower() for word in THREATS)


def test_letter_is_a_formal_notice_with_payment_and_help() -> None:
    letter = dunning_letter(NOTICE, LANDLORD, date(2026, 3, 1))
    body = "\n".join(letter.paragraphs)
    assert letter.title == "Mise en demeure de payer"
    assert letter.date_line == "Le 1er mars 2026"
    assert letter.recipient == (
        "Mme Awa Diallo",
        "Appartement 12",
        "Résidence Les Tilleuls",
        "Villeurbanne",
    )
    assert letter.salutation == "Madame, Monsieur,"
    assert AMOUNT in body
    assert "5 février 2026" in body
    assert "quinze jours" in body
    assert "loi n° 89-462 du 6 juillet 1989" in body
    assert "CCAPEX" in body
    assert "APL" not in body  # this tenant receives none
    assert dict(letter.payment)["IBAN"] == format_iban(IBAN)
    assert dict(letter.payment)["Référence à indiquer"] == format_rf(RF)
    assert any("FSL" in item for item in letter.help_items)
    assert any("ADIL" in item for item in letter.help_items)
    assert not any(word in body.lower() for word in THREATS)


def test_letter_to_an_apl_recipient_explains_the_caf_report() -> None:
    from dataclasses import replace

    letter = dunning_letter(replace(NOTICE, receives_apl=True), LANDLORD, date(2026, 3, 1))
    assert any("CAF ou MSA" in p for p in letter.paragraphs)


def test_gsm7_unaccents_only_what_it_must() -> None:
    assert gsm7("Crêpes à Châlons, déjà payé ? Ça coûte 5 €") == (
        "Crepes à Chalons, déjà payé ? Ça coute 5 €"
    )
    assert gsm7("\u2013 «x» \u2192") == '- "x" ?'


def test_french_dates() -> None:
    assert format_date_fr(date(2026, 8, 15)) == "15 août 2026"
    assert format_date_fr(date(2026, 12, 1)) == "1er décembre 2026"


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("06 12 34 56 78", "+33612345678"),
        ("07.12.34.56.78", "+33712345678"),
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33 (0)6 12 34 56 78", "+33612345678"),
        ("0033612345678", "+33612345678"),
        ("0692 12 34 56", "+262692123456"),  # La Réunion
        ("0696 12 34 56", "+596696123456"),  # Martinique
        ("0639 12 34 56", "+262639123456"),  # Mayotte
        ("04 72 00 00 00", None),  # a landline receives no SMS
        ("0262 12 34 56", None),
        ("12345", None),
        ("", None),
        (None, None),
    ],
)
def test_sms_numbers(raw: str | None, e164: str | None) -> None:
    assert sms_number(raw) == e164
