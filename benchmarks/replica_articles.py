"""Replica articles through our own extract -> rebase -> segment code, in worker processes: what the
benchmarks that build archives without a crawl (search_bench, store_scaling) store."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from typing import Any, NamedTuple

from itp6crawl.extract import ExtractOptions, extract_article
from itp6crawl.records import Article, Segments
from itp6crawl.replica import build_site
from itp6crawl.text import segment_article
from itp6crawl.urls import CANONICAL_SITE, rebase_article

SERVED_FROM = "http://127.0.0.1:8000"  # pages are rendered as the local replica serves them, then rebased


class Prepared(NamedTuple):
    article: Article
    segments: Segments
    segment_seconds: float  # segmentation alone, in the worker
    text_bytes: int  # UTF-8 bytes of the segmented text


_worker: dict[str, Any] = {}


def _init_worker(n: int, seed: int) -> None:
    _worker["site"] = build_site(n, seed=seed)


def _prepare(index: int) -> Prepared:
    """Render, extract, rebase and segment one article page (in a worker process)."""
    return prepare_article(_worker["site"], index)


def prepare_article(site: Any, index: int) -> Prepared:
    """Render, extract, rebase and segment the page of ``site.articles[index]``, as a crawl of it would."""
    spec = site.articles[index]
    status, _headers, body = site.render(spec.path, SERVED_FROM)
    assert status == 200, (spec.path, status)
    article = extract_article(body, spec.url(SERVED_FROM), ExtractOptions(fetched_at=site.now))
    article = rebase_article(article, SERVED_FROM, CANONICAL_SITE)
    start = time.perf_counter()
    segments = segment_article(article)
    seconds = time.perf_counter() - start
    text = [article.title, article.body_text, article.summary, *article.tags, *article.categories]
    return Prepared(article, segments, seconds, sum(len(part.encode("utf-8")) for part in text))


def prepared_articles(n: int, seed: int, workers: int, indexes: range | None = None) -> Iterator[Prepared]:
    """The articles of ``build_site(n, seed=seed)`` (those at ``indexes``, default all) in site order,
    prepared by ``workers`` processes."""
    with multiprocessing.get_context("fork").Pool(workers, _init_worker, (n, seed)) as pool:
        yield from pool.imap(_prepare, indexes if indexes is not None else range(n), chunksize=32)
