"""The formal dunning letter as HTML, then PDF (WeasyPrint) with its EPC QR code (segno).

WeasyPrint takes most of a second to import: it is imported when the first
letter is rendered, not when the notify function starts.
"""

from __future__ import annotations

from html import escape

import segno

from functions.core.messages import Letter

_CSS = """
@page { size: A4; margin: 18mm 18mm 20mm 20mm;
        @bottom-center { content: "Page " counter(page) " / " counter(pages);
                         font-size: 8.5pt; color: #555; } }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt;
       line-height: 1.45; color: #111; }
.sender { font-weight: bold; font-size: 12pt; }
/* French window envelopes (DL, window on the right): the address starts ~45 mm down. */
.recipient { margin: 22mm 0 10mm 95mm; min-height: 30mm; }
.date { text-align: right; margin-bottom: 6mm; }
h1 { font-size: 14pt; margin: 0 0 2mm 0; }
.subject { font-weight: bold; margin-bottom: 5mm; }
p { margin: 0 0 3mm 0; text-align: justify; }
.pay { border: 1.5pt solid #111; padding: 4mm; margin: 5mm 0; page-break-inside: avoid;
       display: flex; gap: 6mm; }
.pay table { border-collapse: collapse; }
.pay td { padding: 0.6mm 3mm 0.6mm 0; vertical-align: top; }
.pay td.label { color: #333; white-space: nowrap; }
.pay td.value { font-weight: bold; white-space: nowrap; }
.pay td.link { font-weight: normal; white-space: normal; font-size: 9.5pt; }
.qr { width: 38mm; text-align: center; font-size: 8pt; }
.qr img { width: 36mm; height: 36mm; }
.help { background: #f1f1f1; padding: 3mm 4mm; page-break-inside: avoid; }
.help h2 { font-size: 11pt; margin: 0 0 2mm 0; }
.help ul { margin: 0; padding-left: 5mm; }
.signature { margin-top: 8mm; }
"""


def qr_data_uri(payload: str) -> str:
    """The EPC QR code as an SVG data URI (error level M, as EPC069-12 requires)."""
    qr = segno.make(payload, error="m", micro=False, boost_error=False, encoding="utf-8")
    return str(qr.svg_data_uri(scale=4, border=2))


def letter_html(letter: Letter, landlord_name: str, qr_payload: str) -> str:
    e = escape
    rows = "".join(
        f'<tr><td class="label">{e(label)}</td><td class="value">{e(value)}</td></tr>'
        for label, value in letter.payment
    )
    paragraphs = "".join(f"<p>{e(p)}</p>" for p in letter.paragraphs)
    helps = "".join(f"<li>{e(item)}</li>" for item in letter.help_items)
    recipient = "<br>".join(e(line) for line in letter.recipient)
    url = e(letter.payment_url)
    return f"""<!DOCTYPE html>
<html lang="fr"><head><meta charset="utf-8"><title>{e(letter.title)}</title>
<style>{_CSS}</style></head><body>
<div class="sender">{e(landlord_name)}</div>
<div class="recipient">{recipient}</div>
<div class="date">{e(letter.date_line)}</div>
<h1>{e(letter.title)}</h1>
<div class="subject">{e(letter.subject)}</div>
<p>{e(letter.salutation)}</p>
{paragraphs}
<div class="pay">
  <div><table>{rows}
    <tr><td class="label">En ligne</td><td class="value link"><a href="{url}">{url}</a></td></tr>
  </table></div>
  <div class="qr"><img src="{qr_data_uri(qr_payload)}" alt="QR code de paiement">
    <div>{e(letter.qr_caption)}</div></div>
</div>
<div class="help"><h2>{e(letter.help_title)}</h2><ul>{helps}</ul></div>
<p class="signature">{e(letter.closing)}</p>
<p>{"<br>".join(e(line) for line in letter.signature.splitlines())}</p>
</body></html>"""


def render_letter_pdf(letter: Letter, landlord_name: str, qr_payload: str) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # slow: only when a letter is due

    pdf: bytes = HTML(string=letter_html(letter, landlord_name, qr_payload)).write_pdf()
    return pdf
