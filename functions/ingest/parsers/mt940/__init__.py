"""SWIFT MT940 (customer statement) and MT942 (interim transaction report).

Tags read (SWIFT *Category 9 MT940/MT942* usage guidelines):

* ``:20:`` transaction reference (our statement id), ``:25:`` account,
  ``:28C:`` statement/sequence number;
* ``:60F:``/``:60M:`` opening balance (final or intermediate),
  ``:62F:``/``:62M:`` closing balance; ``:64:``/``:65:`` available balances
  are not booked balances and are skipped;
* ``:61:`` statement line, ``:86:`` information to the account owner for the
  preceding ``:61:``;
* MT942: ``:34F:`` floor limit, ``:13D:`` date-time, ``:90D:``/``:90C:``
  totals; it has no balances.

``:86:`` comes in three dialects, recognised from its content:

* German ZKA/GVC: ``166?00SEPA-GUTSCHRIFT?20EREF+…?32NAME`` — sub-fields
  ``?20``-``?29``/``?60``-``?63`` purpose (with SEPA keys ``EREF+``,
  ``MREF+``, ``SVWZ+``…), ``?31`` account, ``?32``/``?33`` name (Triodos uses
  ``>`` instead of ``?``);
* Dutch structured: ``/EREF/…/CNTP/iban/bic/name/city/REMI/USTD//text/``
  (ING), ``/BENM//NAME/…/REMI/…`` (Rabobank), ``/TRTP/…/IBAN/…/NAME/…`` (Knab);
* free text, kept as the remittance.

Bank quirks are small named functions (:mod:`.quirks`, :mod:`.text`), each
saying why it exists.

Speed: one pass over the lines, each entry built as soon as its lines are
read; the usual Dutch :86: is cut once; the garbage collector is paused
while a file is parsed; schwifty is only loaded when its verdict on an
account IBAN can change the result.

The package: :mod:`.text` (envelopes, split tags, lines), :mod:`.reader`
(tags, balances, statement lines), :mod:`.info` (the ``:86:`` dialects),
:mod:`.quirks` (banks' ways with values), :mod:`.statements` (entries and
statements built).
"""

from __future__ import annotations

from functions.ingest.parsers.mt940.reader import PARSER, parse

__all__ = ["PARSER", "parse"]
