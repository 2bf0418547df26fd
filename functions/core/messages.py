"""What tenants read during the amicable dunning: e-mails, SMS and the formal letter.

Plain, polite French for people who may be going through hard times: the amount,
how to pay (payment link, the lease's own IBAN and RF reference), who can help,
and — in the letter only — the legal facts, without any threat beyond them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from functions.core.errors import ValidationError
from functions.core.money import format_cents_fr
from functions.core.rf import format_rf, normalize_rf
from functions.core.viban import format_iban

MONTHS_FR = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


@dataclass(frozen=True, slots=True)
class Landlord:
    """Who writes, and how the tenant reaches the social adviser."""

    name: str
    adviser_phone: str | None = None
    adviser_email: str | None = None


@dataclass(frozen=True, slots=True)
class DebtNotice:
    """What every message says about the debt and how to pay it."""

    tenant_names: str
    address_lines: tuple[str, ...]  # unit, residence, commune
    amount_cents: int
    iban: str  # the lease's virtual IBAN: a transfer to it reaches this lease
    rf_reference: str
    payment_url: str
    bic: str | None = None
    oldest_unpaid: date | None = None
    receives_apl: bool = False

    @property
    def address(self) -> str:
        return ", ".join(line for line in self.address_lines if line)


@dataclass(frozen=True, slots=True)
class Email:
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class Letter:
    """The formal letter's content; ``functions.notify.letters`` lays it out."""

    title: str
    subject: str
    date_line: str
    recipient: tuple[str, ...]
    salutation: str
    paragraphs: tuple[str, ...]
    payment: tuple[tuple[str, str], ...]
    payment_url: str
    qr_caption: str
    help_title: str
    help_items: tuple[str, ...]
    closing: str
    signature: str


# ---------------------------------------------------------------- small helpers


def format_date_fr(day: date) -> str:
    """``date(2026, 3, 1)`` → ``"1er mars 2026"``."""
    number = "1er" if day.day == 1 else str(day.day)
    return f"{number} {MONTHS_FR[day.month - 1]} {day.year}"


def payment_link(portal_base_url: str, rf_reference: str) -> str:
    """The portal's payment page for this lease: ``{portal_base_url}/?ref=RF…``."""
    return f"{portal_base_url.rstrip('/')}/?ref={normalize_rf(rf_reference)}"


_DOM_PREFIXES = {  # French overseas numbers: national prefix → country code
    "590": "590",
    "690": "590",
    "691": "590",
    "594": "594",
    "694": "594",
    "596": "596",
    "696": "596",
    "697": "596",
    "262": "262",
    "692": "262",
    "693": "262",
    "269": "262",
    "639": "262",
}
_MOBILE = re.compile(
    r"^\+(33[67]\d{8}|590690\d{6}|590691\d{6}|594694\d{6}|59669[67]\d{6}"
    r"|26269[23]\d{6}|262639\d{6})$"
)


def sms_number(phone: str | None) -> str | None:
    """The E.164 form of a French mobile number (metropolitan or overseas), else None.

    Landlines cannot receive SMS; numbers we cannot read are skipped rather than
    guessed.
    """
    if not phone:
        return None
    digits = re.sub(r"[\s.\-()/]", "", phone)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if re.fullmatch(r"0\d{9}", digits):
        country = _DOM_PREFIXES.get(digits[1:4], "33")
        digits = f"+{country}{digits[1:]}"
    elif digits.startswith("+330"):  # "+33 (0)6 …"
        digits = "+33" + digits[4:]
    return digits if _MOBILE.match(digits) else None


# GSM 03.38 basic alphabet and extension table (3GPP TS 23.038 §6.2.1).
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


_GSM7_SUBSTITUTES = {
    "\u00a0": " ",
    "\u202f": " ",
    "\u2019": "'",
    "\u2013": "-",
    "\u2014": "-",
    "«": '"',
    "»": '"',
    "œ": "oe",
    "Œ": "OE",
}


def gsm7(text: str) -> str:
    """The text with every character outside the GSM 7-bit alphabet unaccented (ô → o).

    One such character would switch the whole SMS to UCS-2: 70 characters a part
    instead of 160, so two or three times the parts for the same message.
    """
    out = []
    for char in text:
        if char in _GSM7:
            out.append(char)
            continue
        if char in _GSM7_SUBSTITUTES:
            out.append(_GSM7_SUBSTITUTES[char])
            continue
        base = "".join(c for c in unicodedata.normalize("NFD", char) if c.isascii())
        out.append(base or "?")
    return "".join(out)


def _sms_amount(cents: int) -> str:
    return gsm7(format_cents_fr(cents))


def _contact_sentence(landlord: Landlord) -> str:
    ways = []
    if landlord.adviser_phone:
        ways.append(f"par téléphone au {landlord.adviser_phone}")
    if landlord.adviser_email:
        ways.append(f"par e-mail à {landlord.adviser_email}")
    if not ways:
        return "Vous pouvez la joindre en contactant votre agence."
    return "Vous pouvez la joindre " + " ou ".join(ways) + "."


def _payment_lines(notice: DebtNotice, landlord: Landlord) -> tuple[tuple[str, str], ...]:
    lines = [
        ("Montant à régler", format_cents_fr(notice.amount_cents)),
        ("Bénéficiaire", landlord.name),
        ("IBAN", format_iban(notice.iban)),
    ]
    if notice.bic:
        lines.append(("BIC", notice.bic))
    lines.append(("Référence à indiquer", format_rf(notice.rf_reference)))
    return tuple(lines)


def _payment_block(notice: DebtNotice, landlord: Landlord) -> str:
    transfer = "\n".join(
        f"  {label} : {value}" for label, value in _payment_lines(notice, landlord)
    )
    return (
        "Pour payer :\n"
        f"- en ligne, sur la page de paiement de votre logement : {notice.payment_url}\n"
        "- ou par virement, sur le compte propre à votre logement :\n"
        f"{transfer}\n"
        "  Avec cette référence, votre paiement est rattaché automatiquement à votre logement."
    )


def _signature(landlord: Landlord) -> str:
    # No "de {name}": French elides before a vowel or a mute h ("d'Habitat …"),
    # which a name alone does not tell.
    return f"Le service de recouvrement\n{landlord.name}"


def _check_level(level: int) -> None:
    if level not in (1, 2):
        raise ValidationError("level", "a reminder is of level 1 or 2")


# ---------------------------------------------------------------- reminders


def reminder_email(level: int, notice: DebtNotice, landlord: Landlord) -> Email:
    """Reminder 1 (friendly, maybe an oversight) or 2 (firmer, proposes a plan)."""
    _check_level(level)
    amount = format_cents_fr(notice.amount_cents)
    if level == 1:
        subject = f"Votre loyer : {amount} restent à régler"
        opening = (
            "Sauf erreur de notre part, nous n'avons pas reçu la totalité de votre loyer. "
            f"Il reste {amount} à régler pour le logement {notice.address}.\n\n"
            "Il s'agit peut-être d'un simple oubli. Si vous avez payé entre-temps, merci de ne "
            "pas tenir compte de ce message."
        )
        help_text = (
            "Si vous avez des difficultés pour payer, parlez-en avec nous dès maintenant : "
            "notre conseillère sociale peut vous aider à trouver une solution "
            f"(échéancier, aides au logement). {_contact_sentence(landlord)}"
        )
        ending = ""
    else:
        subject = f"Rappel : {amount} restent à régler sur votre loyer"
        opening = (
            "Nous vous avons écrit il y a quelques jours au sujet de votre loyer. À ce jour, il "
            f"reste {amount} à régler pour le logement {notice.address}.\n\n"
            "Merci de régler cette somme dès que possible. Si vous ne pouvez pas la payer en une "
            "seule fois, contactez-nous : nous pouvons convenir ensemble d'un échéancier adapté "
            "à votre situation."
        )
        help_text = (
            "Vous traversez une période difficile ? Notre conseillère sociale peut vous recevoir, "
            "étudier avec vous un échéancier et vous aider à demander les "
            "aides possibles (maintien de l'APL, Fonds de solidarité pour le logement). "
            f"{_contact_sentence(landlord)}"
        )
        ending = (
            "\n\nSans règlement ni contact de votre part, nous vous adresserons une lettre de "
            "relance officielle (mise en demeure)."
        )
    text = (
        f"Bonjour {notice.tenant_names},\n\n"
        f"{opening}\n\n"
        f"{_payment_block(notice, landlord)}\n\n"
        f"{help_text}{ending}\n\n"
        "Cordialement,\n"
        f"{_signature(landlord)}\n"
    )
    return Email(subject, text)


def reminder_sms(level: int, notice: DebtNotice, landlord: Landlord) -> str:
    """A short SMS, kept in the GSM 7-bit alphabet."""
    _check_level(level)
    amount = _sms_amount(notice.amount_cents)
    call = f" au {landlord.adviser_phone}" if landlord.adviser_phone else ""
    if level == 1:
        return gsm7(
            f"{landlord.name} : sauf erreur, il reste {amount} à régler sur votre loyer. "
            f"Payer en ligne : {notice.payment_url} Déjà payé ? Merci de ne pas tenir compte "
            f"de ce SMS. Une difficulté ? Contactez-nous{call}."
        )
    return gsm7(
        f"{landlord.name} : rappel, il reste {amount} à régler sur votre loyer. "
        f"Payer en ligne : {notice.payment_url} Si vous ne pouvez pas tout payer, "
        f"contactez-nous{call} pour convenir d'un échéancier."
    )


# ---------------------------------------------------------------- social referral


def referral_email(notice: DebtNotice, landlord: Landlord) -> Email:
    amount = format_cents_fr(notice.amount_cents)
    text = (
        f"Bonjour {notice.tenant_names},\n\n"
        f"Votre compte locataire présente toujours une dette de {amount} pour le logement "
        f"{notice.address}.\n\n"
        f"Pour vous aider à trouver une solution, votre dossier est confié à notre conseillère "
        "sociale. Elle prendra contact avec vous. "
        f"{_contact_sentence(landlord)}\n\n"
        "Avec elle, vous pourrez :\n"
        "- convenir d'un plan d'apurement, c'est-à-dire un échéancier de remboursement adapté "
        "à vos ressources ;\n"
        "- faire le point sur vos droits aux aides au logement (APL) ;\n"
        "- demander une aide du Fonds de solidarité pour le logement (FSL) de votre "
        "département.\n\n"
        "Si aucune solution n'est trouvée, nous devrons, comme la loi le prévoit, informer la "
        "commission de coordination des actions de prévention des expulsions locatives "
        "(CCAPEX) de votre département. Son rôle est de rechercher avec vous des solutions "
        "pour que vous puissiez rester dans votre logement.\n\n"
        f"{_payment_block(notice, landlord)}\n\n"
        "Cordialement,\n"
        f"{_signature(landlord)}\n"
    )
    return Email("Un accompagnement pour régler votre dette de loyer", text)


def referral_sms(notice: DebtNotice, landlord: Landlord) -> str:
    amount = _sms_amount(notice.amount_cents)
    call = (
        f" Vous pouvez aussi l'appeler au {landlord.adviser_phone}."
        if landlord.adviser_phone
        else ""
    )
    return gsm7(
        f"{landlord.name} : pour vous aider à régler votre dette de loyer ({amount}), votre "
        f"conseillère sociale va prendre contact avec vous.{call}"
    )


# ---------------------------------------------------------------- formal letter


def dunning_letter(notice: DebtNotice, landlord: Landlord, today: date) -> Letter:
    """The mise en demeure: a formal letter, sent after two reminders."""
    amount = format_cents_fr(notice.amount_cents)
    since = (
        f", dont la plus ancienne échéance impayée date du {format_date_fr(notice.oldest_unpaid)}"
        if notice.oldest_unpaid
        else ""
    )
    paragraphs = [
        "Malgré nos précédents rappels, votre compte locataire présente à ce jour un solde "
        f"débiteur de {amount}{since}.",
        "Par la présente, nous vous mettons en demeure de régler cette somme dans un délai de "
        "quinze jours à compter de la réception de ce courrier, par l'un des moyens indiqués "
        "ci-dessous.",
        "Si vous ne pouvez pas payer cette somme en une seule fois, contactez-nous sans "
        "attendre : nous pouvons étudier avec vous un plan d'apurement adapté à vos "
        f"ressources. Notre conseillère sociale est à votre disposition. "
        f"{_contact_sentence(landlord)}",
    ]
    if notice.receives_apl:
        paragraphs.append(
            "Comme vous percevez l'aide personnalisée au logement (APL), nous sommes tenus de "
            "signaler cet impayé à votre caisse (CAF ou MSA). Un plan d'apurement mis en place "
            "et respecté permet de maintenir le versement de votre aide."
        )
    paragraphs += [
        "En l'absence de règlement ou d'accord, nous serons amenés à poursuivre le recouvrement "
        "de cette dette selon les procédures prévues par la loi n° 89-462 du 6 juillet 1989, "
        "qui prévoient notamment la saisine de la commission de coordination des actions de "
        "prévention des expulsions locatives (CCAPEX) de votre département.",
        "Si vous avez réglé cette somme entre-temps, nous vous prions de ne pas tenir compte "
        "de ce courrier.",
    ]
    return Letter(
        title="Mise en demeure de payer",
        subject=f"Objet : loyers et charges impayés — logement {notice.address}",
        date_line=f"Le {format_date_fr(today)}",
        recipient=(notice.tenant_names, *(line for line in notice.address_lines if line)),
        salutation="Madame, Monsieur,",
        paragraphs=tuple(paragraphs),
        payment=_payment_lines(notice, landlord),
        payment_url=notice.payment_url,
        qr_caption=(
            "Scannez ce code avec l'application de votre banque : le virement est prérempli "
            "avec le montant, le compte et la référence."
        ),
        help_title="Où trouver de l'aide ?",
        help_items=(
            f"Notre conseillère sociale. {_contact_sentence(landlord)}",
            "Le Fonds de solidarité pour le logement (FSL) de votre département, qui peut "
            "accorder une aide ou un prêt pour régler une dette de loyer.",
            "Votre CAF ou votre MSA, pour vérifier vos droits à l'aide au logement.",
            "L'ADIL (agence départementale d'information sur le logement), qui vous informe "
            "gratuitement sur vos droits de locataire.",
        ),
        closing=(
            "Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
            "distinguées."
        ),
        signature=_signature(landlord),
    )
