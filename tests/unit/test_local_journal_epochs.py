"""The journal's epochs: a snapshot being captured starts a newer journal, and the older
ones (and their blobs) go only once that snapshot is switched to."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.local.journal import Journal


def test_records_run_from_the_snapshots_epoch_through_every_later_journal(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path, epoch=1)
    journal.open()
    journal.append({"n": 1})
    journal.rotate(2)
    journal.append({"n": 2})
    journal.rotate(5)
    journal.append({"n": 3})
    journal.close()
    assert journal.epochs() == [1, 2, 5]
    assert [r["n"] for r in Journal(tmp_path, epoch=1).records()] == [1, 2, 3]
    assert [r["n"] for r in Journal(tmp_path, epoch=2).records()] == [2, 3]


def test_a_torn_last_line_ends_its_journal_not_the_next(tmp_path: Path) -> None:
    (tmp_path / "journal-1.jsonl").write_bytes(b'{"n":1}\n{"n":')
    (tmp_path / "journal-2.jsonl").write_bytes(b'{"n":2}\n')
    assert [r["n"] for r in Journal(tmp_path, epoch=1).records()] == [1, 2]


def test_rotation_never_reuses_an_epoch_on_disk(tmp_path: Path) -> None:
    (tmp_path / "journal-4.jsonl").write_bytes(b'{"n":1}\n')
    journal = Journal(tmp_path, epoch=3)
    with pytest.raises(ValueError, match="journal-4"):
        journal.rotate(4)
    journal.rotate(5)
    assert journal.epochs() == [4, 5]


def test_release_keeps_the_current_journal_and_the_blobs_it_uses(tmp_path: Path) -> None:
    journal = Journal(tmp_path, epoch=1)
    journal.open()
    old = journal.put_blob(b"before the snapshot")
    shared = journal.put_blob(b"in both journals")
    journal.rotate(2)
    assert journal.put_blob(b"in both journals") == shared
    new = journal.put_blob(b"after the snapshot")
    journal.release()
    journal.close()
    assert journal.epochs() == [2]
    assert journal.blob(shared) == b"in both journals"
    assert journal.blob(new) == b"after the snapshot"
    with pytest.raises(FileNotFoundError):
        journal.blob(old)
