"""The formal dunning letter, laid out by the documents renderer (``functions.documents``).

The renderer (and WeasyPrint, which takes most of a second to import) is imported
when the first letter is rendered, not when the notify function starts: most of its
invocations (balance checks, reminders, closing) never render one.
"""

from __future__ import annotations

from html import escape

from functions.core.messages import Letter

__all__ = ["letter_html", "render_letter_pdf"]


def letter_html(letter: Letter, landlord_name: str, qr_payload: str) -> str:
    from functions.documents.render import fill, qr_data_uri

    e = escape
    return fill(
        "letter.html",
        css_html=fill("documents.css"),
        title=letter.title,
        landlord_name=landlord_name,
        recipient_html="<br>".join(e(line) for line in letter.recipient),
        date_line=letter.date_line,
        subject=letter.subject,
        salutation=letter.salutation,
        paragraphs_html="".join(f"<p>{e(p)}</p>" for p in letter.paragraphs),
        rows_html="".join(
            f'<tr><td class="label">{e(label)}</td><td class="value">{e(value)}</td></tr>'
            for label, value in letter.payment
        ),
        url=letter.payment_url,
        qr_html=qr_data_uri(qr_payload),
        qr_caption=letter.qr_caption,
        help_title=letter.help_title,
        helps_html="".join(f"<li>{e(item)}</li>" for item in letter.help_items),
        closing=letter.closing,
        signature_html="<br>".join(e(line) for line in letter.signature.splitlines()),
    )


def render_letter_pdf(letter: Letter, landlord_name: str, qr_payload: str) -> bytes:
    from functions.documents.render import to_pdf

    return to_pdf(letter_html(letter, landlord_name, qr_payload))
