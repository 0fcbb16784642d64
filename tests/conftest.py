from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime

import pytest

from itp6crawl.records import Article, Comment, Image, Link
from itp6crawl.times import CST


def run_itp6crawl(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``itp6crawl ARGS`` in a fresh process (each Scrapy crawl needs its own reactor)."""
    return subprocess.run([sys.executable, "-m", "itp6crawl", *args], capture_output=True, text=True, timeout=timeout)


def local_crawl(site: str, db, log_level: str = "WARNING") -> subprocess.CompletedProcess[str]:
    """``itp6crawl crawl --local`` of a loopback site into ``db``."""
    return run_itp6crawl("crawl", "--site", site, "--db", str(db), "--local", "--log-level", log_level)


def project_crawler(spidercls=None, settings: dict | None = None):
    """Scrapy's ``get_crawler`` with the project's settings (``itp6crawl/settings.py``, which every crawl
    loads) under ``settings``: the readers of a setting find its default there, as they do in a crawl."""
    from scrapy.utils.test import get_crawler

    from itp6crawl import settings as project

    defaults = {name: getattr(project, name) for name in dir(project) if name.isupper()}  # as setmodule reads
    return get_crawler(spidercls, {**defaults, **(settings or {})})


def make_article(post_id: int = 101, **changes) -> Article:
    """A small article as extraction would return it."""
    fields = dict(
        url=f"https://www.itp6.com/{post_id}.html",
        id=post_id,
        title="服用艾曲泊帕三个月的经历",
        author="小林",
        credit="小林",
        published_at="2024-06-02T23:10:00+08:00",
        modified_at="2024-06-03T08:00:00+08:00",
        categories=["治疗过程分享"],
        tags=["艾曲泊帕", "ITP"],
        summary="",
        body_text="确诊免疫性血小板减少症后，医生建议服用艾曲泊帕。\n\n三个月后血小板升到 80×10^9/L，IgG1 正常。",
        body_html="<div><p>确诊免疫性血小板减少症后，医生建议服用艾曲泊帕。</p></div>",
        images=[Image(src="https://www.itp6.com/a.jpg", alt="化验单", caption="化验单")],
        views=1234,
        likes=3,
        related=[Link(url="https://www.itp6.com/102.html", title="另一篇", date="2024-05-30")],
        prev=Link(url="https://www.itp6.com/100.html", title="上一篇文章"),
        next=None,
        comments=[Comment(author="病友A", text="加油！", time="2024-06-03T09:00:00+08:00", comment_id=7)],
    )
    fields.update(changes)
    return Article(**fields)


def body_doc(html: str):
    """A parsed page (lxml) whose body is ``html``."""
    from itp6crawl.extract.html import parse_document

    return parse_document(f"<html><head><title>t</title></head><body>{html}</body></html>")


@pytest.fixture(scope="session")
def itp6crawl_cli():
    """Run ``itp6crawl ARGS`` in a fresh process."""
    return run_itp6crawl


@pytest.fixture(scope="session")
def crawl_locally():
    """Run ``itp6crawl crawl --local SITE --db DB`` in a fresh process."""
    return local_crawl


@pytest.fixture
def small_disk(tmp_path):
    """A folder on a 600 KiB tmpfs, which a crawl of 200 replica articles fills mid-run (root only)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)]).returncode:
        pytest.skip("tmpfs cannot be mounted here")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


@pytest.fixture
def article_factory():
    return make_article


@pytest.fixture
def fetch_time():
    return datetime(2024, 6, 5, 12, 0, tzinfo=CST)


@pytest.fixture(scope="session")
def replica_archive(tmp_path_factory):
    """An archive of 40 replica articles built through extraction, segmentation and the store (no crawl)."""
    from itp6crawl.extract import extract_article
    from itp6crawl.replica import DEFAULT_NOW, build_site
    from itp6crawl.store import Archive
    from itp6crawl.text import segment_article
    from itp6crawl.urls import rebase_article

    site = build_site(n_articles=40, seed=17)
    path = tmp_path_factory.mktemp("replica-archive") / "itp6.db"
    base = "http://127.0.0.1:8123"
    with Archive.open(path) as archive:
        for spec in site.articles:
            article = rebase_article(extract_article(site.render(spec.path, base)[2], spec.url(base)), base)
            archive.articles.save(article, segment_article(article), DEFAULT_NOW)
    return path


# Read before pytest_sessionstart below takes the variable away from the stats pass.
UNDER_MUTMUT = bool(os.environ.get("MUTANT_UNDER_TEST"))


def extraction_scope(fixture_name: str, config: pytest.Config) -> str:
    """``module`` for a fixture that extracts pages, ``function`` under ``make mutation``.

    mutmut runs a mutant against the tests that called the mutated function in its first pass, and it
    counts a module fixture's calls for the first test that builds it only: the tests that read the
    fixture's result then never ran against the mutants they would kill (``published = None`` in the
    generic reader survived although a metadata test fails on it)."""
    return "function" if UNDER_MUTMUT else "module"


def fuzz_examples(default: int) -> int:
    """Examples per property test: ``default`` in ``make test``; ``ITP6_FUZZ_EXAMPLES`` (``make fuzz``:
    10,000) for a long run."""
    return int(os.environ.get("ITP6_FUZZ_EXAMPLES", default))


def pytest_sessionstart(session):
    """Under ``make mutation``, mutmut's stats pass (``MUTANT_UNDER_TEST=stats``) records which tests call
    each function, through its config read from the working directory. A subprocess that imports the
    mutated copy from elsewhere (a test with ``cwd=tmp_path``) would fail on that, so the pass stays in
    this process (mutmut keeps its own copy of the setting); mutant runs still reach subprocesses."""
    if os.environ.get("MUTANT_UNDER_TEST") == "stats":
        del os.environ["MUTANT_UNDER_TEST"]


def record_answers(monkeypatch, module, name: str, answered) -> list[bool]:
    """Wrap ``module.name`` (a search path that may give up) so that each call records whether it
    answered (``answered(result)``); the list of those records, filled as searches run."""
    calls: list[bool] = []
    original = getattr(module, name)

    def counted(*args):
        result = original(*args)
        calls.append(answered(result))
        return result

    monkeypatch.setattr(module, name, counted)
    return calls
