"""The embedded platform compacts its journal by size, not by the clock (issue 12: flat cost)."""

from __future__ import annotations

import json
from pathlib import Path

from infra.local.journal import Journal
from infra.local.state import MIN_JOURNAL_BYTES, Snapshotter, StateStore, compaction_due


def test_a_short_journal_is_never_compacted() -> None:
    assert not compaction_due(0, 0)
    assert not compaction_due(MIN_JOURNAL_BYTES - 1, 0)
    assert compaction_due(MIN_JOURNAL_BYTES, 0)


def test_the_journal_is_compacted_once_it_weighs_as_much_as_the_snapshot() -> None:
    big = 10 * MIN_JOURNAL_BYTES
    assert not compaction_due(MIN_JOURNAL_BYTES, big)
    assert not compaction_due(big - 1, big)
    assert compaction_due(big, big)


def _snapshotter(tmp_path: Path, snapshot_bytes: int, journal_bytes: int) -> Snapshotter:
    store = StateStore(tmp_path)
    store.marker.parent.mkdir(parents=True)
    store.marker.write_text(json.dumps({"epoch": 3, "bytes": snapshot_bytes}), "utf-8")
    journal = Journal(tmp_path / "journal", epoch=3)
    journal.open()
    journal.close()
    with journal.path.open("wb") as f:
        f.truncate(journal_bytes)
    return Snapshotter(store, resources=None, interval=30.0, journal=journal)  # type: ignore[arg-type]


def test_the_snapshotter_weighs_the_current_journal_against_the_last_snapshot(
    tmp_path: Path,
) -> None:
    snapshot = 4 * MIN_JOURNAL_BYTES
    assert not _snapshotter(tmp_path / "a", snapshot, 3 * MIN_JOURNAL_BYTES).due()
    assert _snapshotter(tmp_path / "b", snapshot, snapshot).due()


def test_without_a_journal_every_interval_saves(tmp_path: Path) -> None:
    assert Snapshotter(StateStore(tmp_path), resources=None, journal=None).due()  # type: ignore[arg-type]
