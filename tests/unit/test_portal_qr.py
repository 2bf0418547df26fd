"""The portal's QR codes (portal/qr.js), drawn in the browser from the EPC payload the API
sends: run here with Node.js, compared module by module with segno's symbol (the one the
server's documents carry) and read back by zbar."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path
from typing import Any

import segno

from functions.core.epc_qr import epc_payload
from functions.core.rf import make_rf
from functions.core.viban import VirtualIbanRange
from tests.qr_reading import command, read, svg_modules

ROOT = Path(__file__).resolve().parents[2]
QR_JS = ROOT / "portal" / "qr.js"
RANGE = VirtualIbanRange("30004", "00003", "99")
NAMES = ["Office Public de l'Habitat de Démo", "Habitat 76", "Logéal Immobilière",
         "SA d'HLM Île-de-France Habitat & Co", "Société Anonyme Économie Mixte Œuvre"]  # fmt: skip
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n'&-éèêàçÉÎœ€😀"

_DRIVER = """
const qr = require(process.argv[1]);
const texts = JSON.parse(require("fs").readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map((t) => {
  const e = qr.encode(t);
  return { version: e.version, mask: e.mask, rows: e.modules.map((r) => r.join("")),
           uri: qr.dataUri(t) };
})));
"""


def drawn(texts: list[str]) -> list[dict[str, Any]]:
    """What portal/qr.js draws for each text."""
    done = subprocess.run(
        [command("node", "Node.js"), "-e", _DRIVER, str(QR_JS)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out: list[dict[str, Any]] = json.loads(done.stdout)
    return out


def segno_symbol(text: str) -> Any:
    return segno.make(text, error="m", micro=False, boost_error=False, encoding="utf-8")


def _epc_payloads(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        cents = rng.choice([None, rng.randint(1, 99_999_999_99)])
        out.append(
            epc_payload(
                name=rng.choice(NAMES),
                iban=RANGE.iban_for(rng.randrange(RANGE.capacity)),
                amount_cents=cents,
                rf_reference=make_rf(str(rng.randrange(10 ** rng.randint(4, 20)))),
                bic=rng.choice(["BNPAFRPPXXX", "CEPAFRPP751", None]),
            )
        )
    return out


def _texts_of_every_version(rng: random.Random) -> list[str]:
    """Byte lengths up to level M's capacity at version 40 (2,331 bytes)."""
    out = []
    for length in [1, 2, 14, 15, 16, 26, 42, 62, 84, 106, 122, 152, 180, 213, 251, 287, 331,
                   362, 412, 450, 504, 560, 624, 666, 711, 779, 857, 911, 997, 1059, 1125,
                   1190, 1264, 1370, 1452, 1538, 1628, 1722, 1809, 1911, 1989, 2099, 2213,
                   2331]:  # fmt: skip
        # a lower-case letter first: segno draws digits and capitals alone in other modes
        text = "b" + "".join(rng.choice(ALPHABET) for _ in range(length - 1))
        while len(text.encode()) > length:
            text = text[:-1]
        out.append(text)
    return out


def test_the_symbols_are_segno_s_module_for_module() -> None:
    rng = random.Random(20261205)
    texts = _epc_payloads(rng, 150) + _texts_of_every_version(rng)
    versions = set()
    for text, got in zip(texts, drawn(texts), strict=True):
        expected = segno_symbol(text)
        rows = ["".join(map(str, row)) for row in expected.matrix]
        assert (got["version"], got["mask"]) == (expected.version, expected.mask), text
        assert got["rows"] == rows, text
        versions.add(expected.version)
    assert versions == set(range(1, 41))


def test_the_svg_draws_the_modules_with_a_quiet_zone_of_four() -> None:
    text = _epc_payloads(random.Random(7), 1)[0]
    got = drawn([text])[0]
    size = len(got["rows"])
    margin = "0" * (size + 8)
    expected = [margin] * 4 + ["0000" + row + "0000" for row in got["rows"]] + [margin] * 4
    assert svg_modules(got["uri"]) == expected


def test_a_reader_gets_the_payload_s_utf_8_back(tmp_path: Path) -> None:
    """The EPC payload is UTF-8 (its third line says so): a name with accents reads back."""
    text = epc_payload(name=NAMES[0], iban="FR7630004000031234567890143", amount_cents=51_234,
                       rf_reference="RF18539007547034", bic="BNPAFRPPXXX")  # fmt: skip
    assert read(svg_modules(drawn([text])[0]["uri"]), tmp_path) == text
