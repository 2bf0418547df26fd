"""``make bench-documents``: avis d'échéance per second per core, peak memory, print batch.

Each phase runs in its own process (peak memory is the process's maximum RSS):
- ``notices``: N avis d'échéance rendered one by one (HTML → PDF), as the documents
  function does, on one core;
- ``print``: one print batch of M documents (merged PDF, odd-page starts, CSV index).

Writes the "Documents" section of docs/benchmarks.md (``--no-write`` to skip).
Targets (issue 11): ≥ 10 notices/s per core, a 1,000-document batch in < 60 s,
peak memory < 500 MB.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md"
LEASES_50K = 50_000


def _fixtures(count: int) -> tuple[Any, list[Any]]:
    from functions.core.address import PostalAddress
    from functions.core.lease import Lease, Tenant, rf_reference_for_viban
    from functions.core.organisation import Branding, Organisation
    from functions.core.viban import VirtualIbanRange

    rng = VirtualIbanRange("30004", "00821", "57", bic="BNPAFRPP")
    org = Organisation(
        "bench", "Office Public de l'Habitat du Loiret", "FR7630004008210000000000155", rng,
        address=PostalAddress(("16 avenue de la Mouillère",), "45100", "Orléans"),
        branding=Branding(legal_mentions="OPH du Loiret, EPIC, SIREN 123 456 789, Orléans"),
    )  # fmt: skip
    leases = []
    for n in range(count):
        viban = rng.iban_for(n)
        leases.append(
            Lease(
                "bench",
                f"L{n:06d}",
                (Tenant(f"Mme Locataire Numéro {n}"),),
                "Les Tilleuls",
                "Orléans",
                f"Bât. {n % 7}, apt {n % 300}",
                date(2024, 1, 1),
                40_000 + n % 5_000,
                6_000 + n % 900,
                viban,
                rf_reference_for_viban(viban),
                apl_cents=(n % 3) * 7_500,
                postal_address=PostalAddress(
                    (f"{n % 300} rue des Tilleuls",), f"{45000 + n % 900:05d}", "Orléans"
                ),
            )
        )
    return org, leases


def _notice_html(org: Any, lease: Any) -> str:
    from functions.core.documents import DocumentKind, document_id
    from functions.documents.render import Parties, avis_echeance_html, notice_amounts

    return avis_echeance_html(
        Parties(org, lease),
        doc_id=document_id(org.org_id, lease.lease_id, DocumentKind.AVIS_ECHEANCE, "2026-12"),
        period="2026-12",
        due_date=date(2026, 12, 5),
        issued=date(2026, 11, 25),
        amounts=notice_amounts(lease, lease.lease_id.__hash__() % 3 * 1_000),
    )


def phase_notices(count: int) -> dict[str, Any]:
    from functions.documents.render import to_pdf

    org, leases = _fixtures(count)
    to_pdf(_notice_html(org, leases[0]))  # imports and font loading: not the steady state
    cpu0, wall0 = time.process_time(), time.perf_counter()
    size = 0
    for lease in leases:
        size += len(to_pdf(_notice_html(org, lease)))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return {
        "count": count,
        "wall_s": wall,
        "cpu_s": cpu,
        "per_second_per_core": count / cpu,
        "avg_kb": size / count / 1024,
    }


def phase_prepare(count: int, folder: Path) -> dict[str, Any]:
    """Renders the documents the print run will find stored (not part of the measure)."""
    from functions.documents.render import to_pdf

    org, leases = _fixtures(count)
    for lease in leases:
        (folder / f"{lease.lease_id}.pdf").write_bytes(to_pdf(_notice_html(org, lease)))
    return {"count": count}


def phase_print(count: int, folder: Path) -> dict[str, Any]:
    """The print run's own work: read the stored PDFs, merge, index."""
    from functions.core.documents import PrintItem
    from functions.documents.print_run import merge_batch

    _, leases = _fixtures(count)
    wall0 = time.perf_counter()
    docs = [
        (
            PrintItem(
                lease.lease_id,
                lease.lease_id,
                lease.tenant_names,
                (),
                lease.postal_address.postcode,
                1,
            ),
            (folder / f"{lease.lease_id}.pdf").read_bytes(),
        )
        for lease in leases
    ]
    batch = merge_batch(docs)
    wall = time.perf_counter() - wall0
    return {"count": count, "wall_s": wall, "pages": batch.pages, "mb": len(batch.pdf) / 2**20}


def _child(phase: str, count: int, folder: Path | None = None) -> dict[str, Any]:
    extra = ["--folder", str(folder)] if folder else []
    out = subprocess.run(  # noqa: S603 (this module, fixed arguments)
        [sys.executable, "-m", "bench.documents.bench_documents", "--phase", phase,
         "--count", str(count), *extra],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def write_docs(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    start = text.find("\n## Documents")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[: start + 1] + section + (text[end:] if end != -1 else "")
    DOCS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--phase", choices=("notices", "prepare", "print"))
    ap.add_argument("--folder", type=Path)
    ap.add_argument("--count", type=int)
    ap.add_argument("--notices", type=int, default=200, help="notices rendered one by one")
    ap.add_argument("--batch", type=int, default=1000, help="documents in the print batch")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args(argv)
    if args.phase:
        if args.phase == "notices":
            result = phase_notices(args.count)
        elif args.phase == "prepare":
            result = phase_prepare(args.count, args.folder)
        else:
            result = phase_print(args.count, args.folder)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return 0

    notices = _child("notices", args.notices)
    with tempfile.TemporaryDirectory() as folder:
        _child("prepare", args.batch, Path(folder))
        batch = _child("print", args.batch, Path(folder))
    rate = notices["per_second_per_core"]
    checks = [
        ("≥ 10 notices/s per core", rate >= 10),
        (f"a {args.batch}-document print batch in < 60 s", batch["wall_s"] < 60),
        ("peak memory < 500 MB", max(notices["peak_mb"], batch["peak_mb"]) < 500),
    ]
    workers = (1, 10, 50, 100)
    lines = [
        "## Documents",
        "",
        f"`make bench-documents` on {platform.machine()}, Python {platform.python_version()}, "
        f"{datetime.now(UTC).date().isoformat()}: avis d'échéance (HTML templates → "
        "WeasyPrint PDF with the EPC QR code), each phase in its own process.",
        "",
        "| Measure | Value |",
        "|---|---|",
        f"| Notices rendered one by one | {notices['count']} |",
        f"| Notices per second per core (CPU time) | {rate:.1f} |",
        f"| Average notice size | {notices['avg_kb']:.0f} KB |",
        f"| Peak memory, notices | {notices['peak_mb']:.0f} MB |",
        f"| Print batch: documents / pages | {batch['count']} / {batch['pages']} |",
        "| Print batch: wall time (read the stored PDFs, merge, index) | "
        f"{batch['wall_s']:.1f} s |",
        f"| Print batch: merged PDF | {batch['mb']:.1f} MB |",
        f"| Peak memory, print batch | {batch['peak_mb']:.0f} MB |",
        "",
        f"Wall time of the {LEASES_50K:,} notices of a monthly run (fan-out through "
        "NoticesQueue, one core per worker, rendering only):",
        "",
        "| Concurrent workers | Wall time |",
        "|---|---|",
        *(f"| {n} | {LEASES_50K / rate / n / 60:.1f} min |" for n in workers),
        "",
        "Targets: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks),
        "",
    ]
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_docs(section)
        print(f"wrote the Documents section of {DOCS}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
