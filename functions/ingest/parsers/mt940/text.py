"""MT940 bank quirks at the text level: SWIFT envelopes, split tag markers,
the file's lines."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from functions.ingest.parsers.common import decode_text, guess_file_encoding, iter_lines

_TAG_REST = re.compile(r"^\d{2}[A-Z]?:")


def _strip_swift_envelope(text: str) -> str:
    """Files straight from SWIFTNet keep the ``{1:…}{2:…}{4:`` header and
    ``-}`` trailer blocks around the text block; only block 4 is the message."""
    if "{" in text:  # most files have no envelope: skip three passes over the text
        text = _ENVELOPE_BLOCK.sub("", text)
        text = text.replace("{4:", "\n")
    if "-}" in text:
        text = _ENVELOPE_END.sub("\n", text)
    return text


_ENVELOPE_BLOCK = re.compile(r"\{[1235]:(?:\{[^{}]*\}|[^{}])*\}")
_ENVELOPE_END = re.compile(r"(?m)^-\}\s*$|-\}")


def rejoin_split_tag_marker(lines: Iterator[str]) -> Iterator[str]:
    """Some Sparkasse exports break a line right after the leading colon of a
    tag (``:`` then ``86:…``); glue such halves back together."""
    previous = next(lines, None)
    if previous is None:
        return
    for line in lines:
        if previous == ":" and _TAG_REST.match(line):
            previous = ":" + line
            continue
        yield previous
        previous = line
    yield previous


def file_lines(data: bytes) -> Iterator[str]:
    """The file's lines, decoded. Read a chunk at a time (no whole-file
    text or list of lines) unless a SWIFT envelope, which may span lines,
    has to be cut out of the whole text first."""
    if b"{" not in data and b"}" not in data:  # no envelope block, no "-}" trailer
        source = io.BytesIO(data)
        encoding, start = guess_file_encoding(source)
        source.seek(start)
        return iter_lines(source, encoding)
    return iter(_strip_swift_envelope(decode_text(data)).split("\n"))
