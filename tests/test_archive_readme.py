"""archive/README.md documents every table, view and column of a new archive."""

from __future__ import annotations

import re
from pathlib import Path

from itp6crawl.store import Archive

README = Path(__file__).resolve().parent.parent / "archive" / "README.md"
# FTS5's own shadow tables and sqlite-utils' migration log: named in the README, their columns are theirs.
NOT_OURS = re.compile(
    r"^((articles_fts|search_changes_before|search_changes_after)_(data|idx|docsize|config|content)"
    r"|_sqlite_migrations|sqlite_.*)$"
)


def blocks(text: str) -> list[str]:
    """The README cut at each section heading and each top-level bullet."""
    return re.split(r"\n(?=## |- `)", text)


def documented(text: str, name: str) -> str:
    """Every block that introduces ``name`` in its first line."""
    return "\n".join(block for block in blocks(text) if f"`{name}`" in block.splitlines()[0])


def test_every_table_view_and_column_is_documented(tmp_path):
    text = README.read_text(encoding="utf-8")
    with Archive.open(tmp_path / "itp6.db") as archive:
        names = [
            row[0]
            for row in archive.db.execute(
                "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name"
            )
            if not NOT_OURS.match(row[0])
        ]
        columns = {name: [row[1] for row in archive.db.execute(f"PRAGMA table_info([{name}])")] for name in names}
    assert {"articles", "dataset_articles", "dataset_links", "search_top"} <= set(names)
    missing = []
    for name in names:
        block = documented(text, name)
        if not block:
            missing.append(f"table or view {name}")
            continue
        missing += [f"{name}.{column}" for column in columns[name] if f"`{column}`" not in block]
    assert not missing, f"archive/README.md does not document: {', '.join(missing)}"
