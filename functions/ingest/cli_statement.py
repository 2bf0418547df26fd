"""``encaisse statement parse FILE [--json|--summary]``.

Prints the parsed file as JSON (``--json``, the default) or a per-statement
summary (``--summary``). An unreadable file exits with status 2 and one line
on stderr: ``file: line or XML path: reason``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from functions.core.errors import StatementParseError
from functions.ingest.parsers import parse_file, stream_file
from functions.ingest.statement_json import stream_summary, to_json

EXIT_UNREADABLE = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; ``argv`` excludes ``encaisse statement parse`` itself."""
    parser = argparse.ArgumentParser(
        prog="encaisse statement parse",
        description="Parse a bank statement file (camt.052/053/054, pain.002, MT940, CFONB 120, "
        "or a ZIP of them) and print it as JSON.",
    )
    parser.add_argument("file", help="statement file")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--json", action="store_true", help="full JSON rendering (default)")
    mode.add_argument("--summary", action="store_true", help="counts and sums per statement")
    args = parser.parse_args(argv)

    try:
        document = _summary(args.file) if args.summary else to_json(parse_file(args.file))
    except StatementParseError as e:
        print(str(e), file=sys.stderr)
        return EXIT_UNREADABLE
    except OSError as e:
        print(f"{args.file}: {e.strerror or e}", file=sys.stderr)
        return EXIT_UNREADABLE
    json.dump(document, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def _summary(path: str) -> dict[str, Any]:
    """The summary read entry by entry (camt and CFONB 120 are streamed), so a
    file of any size is summed in the memory of one entry."""
    with open(path, "rb") as source:
        return stream_summary(stream_file(source, Path(path).name))


if __name__ == "__main__":
    raise SystemExit(main())
