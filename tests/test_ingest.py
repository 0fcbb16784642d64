"""The ingest core's rules, without a crawler: what reading and recording a fetched page do."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest

from itp6crawl import counters, ingest
from itp6crawl.ingest import PageOutcome, Reading
from itp6crawl.items import PageItem
from itp6crawl.replica import DEFAULT_NOW, build_site, rename_theme_classes
from itp6crawl.store import Archive

BASE = "https://www.itp6.com"
REPLICA = "http://127.0.0.1:8123"


@pytest.fixture(scope="module")
def site():
    return build_site(n_articles=6, seed=2)


@pytest.fixture
def archive(tmp_path):
    with Archive.open(tmp_path / "a.db") as archive:
        yield archive


@pytest.fixture
def run_id(archive):
    return archive.runs.begin(BASE, DEFAULT_NOW)


def fetched(url: str, status: int = 200, body: bytes = b"", **fields) -> PageItem:
    fields.setdefault("fetched_at", DEFAULT_NOW)
    return PageItem(url=url, request_url=url, status=status, body=body, **fields)


def page_of(site, spec, base: str = BASE, **fields) -> PageItem:
    return fetched(spec.url(base), body=site.render(spec.path, base)[2], charset="UTF-8", **fields)


def read(site, spec, **fields) -> PageItem:
    page = page_of(site, spec, **fields)
    assert ingest.read(page) is Reading.THEME
    return page


def failures(archive) -> list[dict]:
    return list(archive.db.table("failures").rows)


# -- reading ------------------------------------------------------------------------------------------


def test_a_whole_page_is_read_into_its_article_and_search_columns(site):
    spec = site.articles[0]
    page = page_of(site, spec)
    assert ingest.read(page) is Reading.THEME
    assert page.article is not None and page.article.id == spec.id and page.failure is None
    assert page.segments is not None and page.segments.title_seg and page.segments.body_seg
    assert Reading.THEME.stat == counters.EXTRACTOR_THEME


def test_a_page_from_another_server_is_read_on_the_canonical_site(site):
    spec = site.articles[0]
    page = page_of(site, spec, REPLICA)
    ingest.read(page)
    assert page.article.url == f"{BASE}/{spec.id}.html"
    assert "127.0.0.1" not in page.article.body_html and all(link.url.startswith(BASE) for link in page.article.related)


def test_a_page_the_theme_rules_miss_is_read_by_the_fallback_and_said(site, caplog):
    spec = site.articles[1]
    html = rename_theme_classes(site.render(spec.path, BASE)[2].decode()).encode()
    with caplog.at_level(logging.WARNING, logger="itp6crawl.ingest"):
        reading = ingest.read(fetched(spec.url(BASE), body=html))
    assert reading is Reading.FALLBACK and reading.stat == counters.EXTRACTOR_FALLBACK
    assert "Theme rules did not match" in caplog.text


def test_a_page_cut_short_is_refused_before_it_is_read(site):
    spec = site.articles[2]
    page = page_of(site, spec)
    page.body = page.body[: len(page.body) // 2]
    assert ingest.read(page) is Reading.INCOMPLETE and Reading.INCOMPLETE.stat == counters.INCOMPLETE_PAGES
    assert page.article is None and page.failure.startswith("incomplete page")


@pytest.mark.parametrize(
    "page",
    [
        fetched(f"{BASE}/1.html", 304),
        fetched(f"{BASE}/1.html", 404),
        fetched(f"{BASE}/1.html", 200, b"<html><body><p>x</p></body></html>", failure="HTTP 500"),
    ],
    ids=["304", "404", "already-failed"],
)
def test_only_a_200_that_has_not_failed_is_read(page):
    failure = page.failure
    assert ingest.read(page) is Reading.NOT_READ and Reading.NOT_READ.stat is None
    assert page.article is None and page.failure == failure


def test_a_page_with_no_article_fails_with_the_reason():
    page = fetched(f"{BASE}/1.html", body=b"")
    assert ingest.read(page) is Reading.FAILED and page.failure == "extraction failed: empty document"


def test_a_crash_while_reading_fails_that_page_only(site, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ingest, "read_page", broken)
    page = page_of(site, site.articles[0])
    with caplog.at_level(logging.ERROR, logger="itp6crawl.ingest"):
        assert ingest.read(page) is Reading.FAILED
    assert page.failure == "extraction crashed: RuntimeError: boom" and "Extraction crashed on" in caplog.text


# -- recording ----------------------------------------------------------------------------------------


def test_a_new_article_is_stored_with_its_state(site, archive, run_id):
    spec = site.articles[0]
    page = read(site, spec, headers={"ETag": '"v1"'}, in_sitemap=True, warc=("1.warc.gz", 42))
    assert ingest.record(archive, page, run_id=run_id) is PageOutcome.NEW and page.outcome == "new"
    assert archive.articles.get(spec.id)["title"] == page.article.title
    state = archive.state.get(spec.url(BASE))
    assert (state.status, state.etag, state.in_sitemap, state.warc_file, state.warc_offset) == (
        200,
        '"v1"',
        1,
        "1.warc.gz",
        42,
    )
    assert state.changed_at == state.fetched_at and state.content_hash


def test_the_same_article_again_is_unchanged_and_writes_only_the_state(site, archive, run_id):
    spec = site.articles[0]
    ingest.record(archive, read(site, spec), run_id=run_id)
    before = archive.articles.get(spec.id)
    later = read(site, spec, fetched_at=DEFAULT_NOW + timedelta(days=1))
    assert ingest.record(archive, later, run_id=run_id) is PageOutcome.UNCHANGED
    assert archive.articles.get(spec.id) == before
    state = archive.state.get(spec.url(BASE))
    assert state.fetched_at.startswith("2024-06-06") and state.changed_at != state.fetched_at


def test_a_changed_article_keeps_its_previous_version(site, archive, run_id):
    spec = site.articles[0]
    ingest.record(archive, read(site, spec), run_id=run_id)
    edited = read(site, spec, fetched_at=DEFAULT_NOW + timedelta(days=1))
    edited.article = dataclasses.replace(edited.article, body_text=edited.article.body_text + "\n复查血小板 85。")
    assert ingest.record(archive, edited, run_id=run_id) is PageOutcome.CHANGED
    assert archive.articles.get(spec.id)["body_text"].endswith("复查血小板 85。")
    (version,) = archive.db.table("article_versions").rows
    assert version["article_id"] == spec.id and not version["body_text"].endswith("复查血小板 85。")


def test_not_modified_writes_only_the_state(site, archive, run_id):
    spec = site.articles[0]
    ingest.record(archive, read(site, spec, headers={"ETag": '"v1"'}), run_id=run_id)
    before = archive.articles.get(spec.id)
    later = fetched(spec.url(BASE), 304, fetched_at=DEFAULT_NOW + timedelta(days=1))
    assert ingest.record(archive, later, run_id=run_id) is PageOutcome.NOT_MODIFIED
    assert archive.articles.get(spec.id) == before
    state = archive.state.get(spec.url(BASE))
    assert state.status == 304 and state.content_hash == before["content_hash"]
    assert state.fetched_at.startswith("2024-06-06")


def test_a_gone_article_is_marked_once_and_kept(site, archive, run_id):
    spec = site.articles[0]
    ingest.record(archive, read(site, spec), run_id=run_id)
    gone = [fetched(spec.url(BASE), status) for status in (404, 410)]
    assert [ingest.record(archive, page, run_id=run_id) for page in gone] == [
        PageOutcome.GONE,
        PageOutcome.STILL_GONE,
    ]
    row = archive.articles.get(spec.id)
    assert row["status"] == "gone" and row["body_text"] and PageOutcome.STILL_GONE.stat is None
    assert archive.state.get(spec.url(BASE)).status == 410 and not failures(archive)


def test_a_404_of_a_post_never_archived_is_a_failure(archive, run_id):
    page = fetched(f"{BASE}/99999.html", 404)
    assert ingest.record(archive, page, run_id=run_id) is PageOutcome.FAILED
    (failure,) = failures(archive)
    assert (failure["url"], failure["status"], failure["reason"], failure["run_id"]) == (
        f"{BASE}/99999.html",
        404,
        "HTTP 404",
        run_id,
    )


def test_a_poorer_page_keeps_the_archived_article_and_is_a_failure(site, archive, run_id):
    spec = site.articles[0]
    ingest.record(archive, read(site, spec), run_id=run_id)
    before = archive.articles.get(spec.id)
    poorer = read(site, spec, fetched_at=DEFAULT_NOW + timedelta(days=1))
    poorer.article = dataclasses.replace(poorer.article, body_text="维护中", body_html="<p>维护中</p>")
    assert ingest.record(archive, poorer, run_id=run_id) is PageOutcome.POORER and PageOutcome.POORER.stat
    assert archive.articles.get(spec.id) == before and archive.db.table("article_versions").count == 0
    (failure,) = failures(archive)
    assert failure["reason"].startswith("poorer than the archived version, kept it")


def test_a_failed_fetch_is_recorded_with_its_reason_and_nothing_else(archive, run_id):
    page = fetched(f"{BASE}/1.html", 500, failure="HTTP 500")
    assert ingest.record(archive, page, run_id=run_id) is PageOutcome.FAILED and page.outcome == "failed"
    (failure,) = failures(archive)
    assert (failure["status"], failure["reason"]) == (500, "HTTP 500")
    assert archive.db.table("articles").count == 0 and archive.state.get(f"{BASE}/1.html") is None


def test_a_store_refusal_is_a_failure_not_a_crash(site, archive, run_id):
    first, second = site.articles[0], site.articles[1]
    ingest.record(archive, read(site, first), run_id=run_id)
    clash = read(site, second)
    clash.article = dataclasses.replace(clash.article, url=first.url(BASE))  # another post's URL
    assert ingest.record(archive, clash, run_id=run_id) is PageOutcome.FAILED
    assert failures(archive)[0]["reason"].startswith("store refused")


def test_every_outcome_but_still_gone_moves_a_run_counter():
    assert {outcome.stat for outcome in PageOutcome} - {None} <= {
        *counters.RUN_COUNTS.values(),
        counters.ARTICLES_NOT_MODIFIED,
    }
    assert [outcome for outcome in PageOutcome if outcome.stat is None] == [PageOutcome.STILL_GONE]


def test_the_ingest_core_and_reindex_import_no_scrapy():
    code = "import sys, itp6crawl.ingest, itp6crawl.reindex; print(sorted(m for m in sys.modules if 'scrapy' in m))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# -- batching -----------------------------------------------------------------------------------------


def visible(archive) -> int:
    """Articles another connection sees (what is committed)."""
    with sqlite3.connect(archive.path) as other:
        return other.execute("SELECT COUNT(*) FROM articles").fetchone()[0]


def test_pages_recorded_in_a_batch_are_committed_and_counted_together(site, archive, run_id):
    batch = ingest.Batch(archive, 3600)
    assert batch.begin() and not batch.begin()  # one batch at a time
    for spec in site.articles[:2]:
        batch.record(read(site, spec), run_id=run_id)
    assert not batch.due and visible(archive) == 0 and archive.db.table("articles").count == 2
    assert batch.commit() == {counters.ARTICLES_NEW: 2}
    assert visible(archive) == 2 and batch.due and batch.commit() == {}


def test_without_batching_each_page_commits_on_its_own(site, archive, run_id):
    batch = ingest.Batch(archive, 0)
    assert not batch.begin() and batch.due
    batch.record(read(site, site.articles[0]), run_id=run_id)
    assert visible(archive) == 1 and batch.commit() == {counters.ARTICLES_NEW: 1}


def test_a_batch_rolled_back_loses_its_pages_and_their_counts_together(site, archive, run_id, caplog):
    ingest.record(archive, read(site, site.articles[0]), run_id=run_id)
    batch = ingest.Batch(archive, 3600)
    batch.begin()
    batch.record(read(site, site.articles[1]), run_id=run_id)
    batch.rollback()
    assert archive.db.table("articles").count == 1 and batch.commit() == {}
    assert "Rolled back the uncommitted batch of 1 pages" in caplog.text


def test_a_batch_sqlite_rolled_back_itself_counts_nothing(site, archive, run_id):
    batch = ingest.Batch(archive, 3600)
    batch.begin()
    batch.record(read(site, site.articles[0]), run_id=run_id)
    archive.db.conn.rollback()  # as SQLite does on a full disk or an I/O error
    assert batch.commit() == {} and visible(archive) == 0


# -- comments on an unchanged article -----------------------------------------------------------------


def commented_spec(site):
    return next(spec for spec in site.articles if spec.n_comments)


def stored_comments(archive, post_id) -> list[tuple]:
    return archive.db.execute(
        "SELECT author, text FROM comments WHERE article_id = ? ORDER BY position", [post_id]
    ).fetchall()


def test_a_new_comment_on_an_unchanged_article_is_archived_without_a_new_version(site, archive, run_id):
    spec = commented_spec(site)
    first = read(site, spec)
    page_comments = list(first.article.comments)
    first.article = dataclasses.replace(first.article, comments=page_comments[:-1])  # the last one came later
    ingest.record(archive, first, run_id=run_id)
    later = read(site, spec, fetched_at=DEFAULT_NOW + timedelta(days=1))
    assert ingest.record(archive, later, run_id=run_id) is PageOutcome.UNCHANGED and later.new_comments == 1
    assert stored_comments(archive, spec.id) == [(c.author, c.text) for c in page_comments]
    assert archive.db.table("article_versions").count == 0
    assert archive.state.get(spec.url(BASE)).fetched_at.startswith("2024-06-06")
    again = read(site, spec, fetched_at=DEFAULT_NOW + timedelta(days=2))
    assert ingest.record(archive, again, run_id=run_id) is PageOutcome.UNCHANGED and again.new_comments == 0
    assert len(stored_comments(archive, spec.id)) == len(page_comments)


def test_a_comment_gone_from_the_page_stays_archived_beside_the_new_one(site, archive, run_id):
    spec = commented_spec(site)
    page = read(site, spec)
    removed = dataclasses.replace(page.article.comments[0], comment_id=None, text="一条后来被删除的评论")
    page.article = dataclasses.replace(page.article, comments=[removed])
    ingest.record(archive, page, run_id=run_id)
    later = read(site, spec, fetched_at=DEFAULT_NOW + timedelta(days=1))
    assert ingest.record(archive, later, run_id=run_id) is PageOutcome.UNCHANGED
    assert later.new_comments == len(later.article.comments)
    assert stored_comments(archive, spec.id) == [(removed.author, removed.text)] + [
        (c.author, c.text) for c in later.article.comments
    ]


def test_a_batch_counts_the_comments_an_unchanged_article_gained(site, archive, run_id):
    spec = commented_spec(site)
    first = read(site, spec)
    first.article = dataclasses.replace(first.article, comments=first.article.comments[:-1])
    batch = ingest.Batch(archive, 0)
    batch.record(first, run_id=run_id)
    assert batch.commit() == {counters.ARTICLES_NEW: 1}
    batch.record(read(site, spec, fetched_at=DEFAULT_NOW + timedelta(days=1)), run_id=run_id)
    assert batch.commit() == {counters.ARTICLES_UNCHANGED: 1, counters.COMMENTS_ADDED: 1}


# -- the revisit history --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "counted"),
    [(None, True), ("due", True), ("max-interval", True), ("comment", False), ("modified", False)],
)
def test_only_a_re_read_chosen_without_a_signal_counts_in_the_post_history(site, archive, run_id, reason, counted):
    spec = site.articles[1]
    ingest.record(archive, read(site, spec), run_id=run_id)
    changed = read(site, spec, fetched_at=DEFAULT_NOW + timedelta(days=1), reason=reason)
    changed.article = dataclasses.replace(changed.article, title=changed.article.title + "（修订）")
    assert ingest.record(archive, changed, run_id=run_id) is PageOutcome.CHANGED
    not_modified = fetched(spec.url(BASE), 304, fetched_at=DEFAULT_NOW + timedelta(days=2), reason=reason)
    assert ingest.record(archive, not_modified, run_id=run_id) is PageOutcome.NOT_MODIFIED
    state = archive.state.get(spec.url(BASE))
    assert (state.checks, state.changes) == ((2, 1) if counted else (0, 0))
    assert state.first_fetched_at.startswith("2024-06-05")  # the first fetch, never counted as a re-read
