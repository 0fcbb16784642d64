"""The user's cache folder for files built once from packaged data (standard library only).

A query's cold start should not pay for parsing the same data at every start of the CLI: the jieba
dictionary (:class:`itp6crawl.text.PrebuiltDictionary`) and the vocabulary (:mod:`itp6crawl.vocabulary`)
are built once into forms that load in a millisecond, under names that change with their sources.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_folder() -> Path:
    """``ITP6CRAWL_CACHE_DIR``, else ``$XDG_CACHE_HOME/itp6crawl`` (``~/.cache/itp6crawl``)."""
    if folder := os.environ.get("ITP6CRAWL_CACHE_DIR"):
        return Path(folder)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "itp6crawl"


def write_whole(path: Path, data: bytes) -> None:
    """``data`` into ``path`` through a file of this process renamed into place: readers see all or nothing,
    and two processes writing at once each write their own and one wins."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(data)
    os.replace(partial, path)
