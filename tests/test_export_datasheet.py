"""The datasheet and the dataset card state only what is true of their export: how the crawl actually
went (from its runs' rows and stats), which scripts the text is actually written in, which links leave
the export; every time in China time (+08:00), like the archive."""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import make_article

from itp6crawl.datasheet import ScriptCounter
from itp6crawl.export import export
from itp6crawl.records import Link
from itp6crawl.store import Archive, Segments
from itp6crawl.store.datasets import ArticleFilter
from itp6crawl.times import CST
from itp6crawl.urls import is_loopback

START = datetime(2024, 6, 5, 12, 0, tzinfo=CST)
LOCAL_STATS = {"downloader/request_count": 43, "elapsed_time_seconds": 0.63, "robotstxt/request_count": 1}
POLITE_STATS = {"downloader/request_count": 120, "elapsed_time_seconds": 251.0, "robotstxt/request_count": 1}
ANY_TIME = re.compile(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(Z|[+-]\d\d:?\d\d)?")


def build(path: Path, articles: list[dict[str, Any]], runs: list[tuple[str, dict[str, Any]]] = ()) -> Path:
    """An archive of ``make_article(**changes)`` articles and finished crawl runs ``(site, stats)``."""
    with Archive.open(path) as archive:
        for changes in articles:
            article = make_article(**changes)
            archive.articles.save(article, Segments(article.title, article.body_text, ""), START)
        for number, (site, stats) in enumerate(runs):
            began = START + timedelta(days=number)
            run_id = archive.runs.begin(site, began)
            archive.runs.finish(
                run_id,
                began + timedelta(seconds=stats.get("elapsed_time_seconds", 0)),
                reason="finished",
                exit_status=0,
                counts={"fetched": stats.get("downloader/request_count", 0)},
                stats=stats,
                warc_file=f"itp6-{run_id}.warc.gz",
            )
    return path


def sheet(db: Path, out: Path, **options: Any) -> str:
    export(db, out, **options)
    return (out / "DATASHEET.md").read_text(encoding="utf-8")


def collection(text: str) -> str:
    return text[text.index("## Collection process") : text.index("## Preprocessing")]


# --------------------------------------------------------------------------- how the crawl went


def test_a_local_crawl_is_not_called_polite(tmp_path):
    """Before, a --local crawl of the replica (43 requests in 0.6 s) read "politely ... about 2 s apart"."""
    db = build(tmp_path / "itp6.db", [{}], [("http://127.0.0.1:8123", LOCAL_STATS)])
    text = collection(sheet(db, tmp_path / "out"))
    assert "2 s apart" not in text and "polite" not in text and "one request at a time" not in text
    assert "http://127.0.0.1:8123, a loopback address: a local copy of the site" in text
    assert "without delays (`--local`" in text
    assert "1 run between 2024-06-05T12:00:00+08:00 and 2024-06-05T12:00:00+08:00" in text
    assert "43 requests in 0.6 s of crawling, one request every 0.015 s on average" in text
    assert "robots.txt read and obeyed" in text and "WARC files" in text


def test_a_crawl_of_the_site_states_its_measured_pace(tmp_path):
    db = build(tmp_path / "itp6.db", [{}], [("https://www.itp6.com", POLITE_STATS)] * 2)
    text = collection(sheet(db, tmp_path / "out"))
    assert "https://www.itp6.com; 2 runs between 2024-06-05T12:00:00+08:00 and 2024-06-06T12:04:11+08:00" in text
    assert "240 requests in 502.0 s of crawling, one request every 2.1 s on average" in text
    assert "loopback" not in text and "--local" not in text


def test_a_loopback_crawl_with_delays_is_not_called_local(tmp_path):
    db = build(tmp_path / "itp6.db", [{}], [("http://localhost:8123", POLITE_STATS)])
    text = collection(sheet(db, tmp_path / "out"))
    assert "a loopback address" in text and "--local" not in text


def test_runs_are_stated_per_site_and_a_run_without_robots_txt_says_so(tmp_path):
    stats = {**POLITE_STATS, "robotstxt/request_count": 0}
    db = build(tmp_path / "itp6.db", [{}], [("http://127.0.0.1:9000", LOCAL_STATS), ("https://www.itp6.com", stats)])
    lines = [line for line in collection(sheet(db, tmp_path / "out")).splitlines() if line.startswith("- **Crawled")]
    assert len(lines) == 2 and "127.0.0.1:9000" in lines[0] and "www.itp6.com" in lines[1]
    assert "robots.txt read and obeyed" in lines[0] and "robots.txt not read" in lines[1]


def test_an_archive_without_crawl_runs_claims_no_crawl(replica_archive, tmp_path):
    """Before: "0 finished crawl run(s) of the site between - and -, with Scrapy, politely"."""
    text = collection(sheet(replica_archive, tmp_path / "out"))
    assert "records no crawl run" in text and "polite" not in text and "between -" not in text


@pytest.mark.parametrize("site", ["http://127.0.0.1:8080", "http://localhost", "http://[::1]:8080"])
def test_loopback_sites(site):
    assert is_loopback(site)


@pytest.mark.parametrize("site", ["https://www.itp6.com", "http://10.0.0.2", ""])
def test_other_sites(site):
    assert not is_loopback(site)


# --------------------------------------------------------------------------- scripts


def test_the_replica_has_no_traditional_characters_and_the_datasheet_says_so(replica_archive, tmp_path):
    """Before: "Chinese (Simplified, some Traditional)" of an export with no Traditional character."""
    text = sheet(replica_archive, tmp_path / "out")
    assert "some Traditional" not in text
    assert "Chinese in 40 of the 40 articles; all of it Simplified: no article has a Traditional character" in text
    assert re.search(r"Latin-script terms in 40 articles \(most frequent: [^)]*TPO-RA", text)


def test_traditional_characters_are_counted_and_shown(tmp_path):
    db = build(
        tmp_path / "itp6.db",
        [
            {"post_id": 101},
            {"post_id": 102, "title": "幹細胞移植後的恢復", "body_text": "醫生說幹細胞移植後要定期複查。"},
        ],
    )
    text = sheet(db, tmp_path / "out")
    assert "Chinese in 2 of the 2 articles; Traditional characters in 1 of them (most frequent: 幹細後" in text


def test_an_export_without_latin_terms_is_not_tagged_english(tmp_path):
    db = build(tmp_path / "itp6.db", [{"title": "经历", "body_text": "确诊以后一直在吃药。", "tags": ["经验"]}])
    out = tmp_path / "out"
    text = sheet(db, out)
    assert "no Latin-script terms" in text
    header = yaml.safe_load((out / "README.md").read_text(encoding="utf-8").split("---\n")[1])
    assert header["language"] == ["zh"]


def test_the_script_counter():
    counter = ScriptCounter()
    counter.add("血小板 TPO-RA 和 CD4+CD25+", None)
    counter.add("檢查 IgG1", "mg")
    counter.add("no Chinese here at all")
    assert (counter.articles, counter.han, counter.traditional, counter.latin) == (3, 2, 1, 3)
    assert set(counter.latin_terms) == {"TPO-RA", "CD4+CD25+", "IgG1", "mg", "no", "Chinese", "here", "at", "all"}
    assert counter.traditional_characters == {"檢": 1}


# --------------------------------------------------------------------------- links


def test_links_leaving_the_archive_are_counted_apart(replica_archive, tmp_path):
    """Before: "285 links between them" when 5 of them point outside the archive."""
    text = sheet(replica_archive, tmp_path / "out")
    assert "285 links (related posts, previous and next): 280 between them, 5 to pages the archive does not" in text


def test_links_to_articles_left_out_of_the_export_are_counted_apart(tmp_path):
    """101 links to 102 (archived) and to 100 (never archived); 102 is in another category."""
    alone = {"related": [], "prev": None}
    db = build(tmp_path / "itp6.db", [{"post_id": 101}, {"post_id": 102, "categories": ["科研动态"], **alone}])
    every = sheet(db, tmp_path / "all")
    assert "2 links (related posts, previous and next): 1 between them, 1 to pages the archive does not" in every
    assert "left out of this export" not in every
    some = sheet(db, tmp_path / "some", articles=ArticleFilter(category="治疗过程分享"))
    assert "2 links (related posts, previous and next): 0 between them, 1 to pages the archive does not hold" in some
    assert "1 to archived articles left out of this export" in some


def test_links_to_dropped_duplicates_leave_the_export(tmp_path):
    """101 reposts 102 a day later; 102 links to 101, which --dedup leaves out."""
    body = " ".join(f"词{i}" for i in range(300))
    db = tmp_path / "itp6.db"
    with Archive.open(db) as archive:
        for post_id, day, links in ((102, 1, [Link(url="https://www.itp6.com/101.html", title="转载")]), (101, 2, [])):
            article = make_article(
                post_id, body_text=body, published_at=f"2024-01-0{day}T10:00:00+08:00", related=links, prev=None
            )
            archive.articles.save(article, Segments(article.title, body, body), START)
    text = sheet(db, tmp_path / "out", dedup=True)
    assert "1 articles are near-duplicates" in text and "They were left out of this export" in text
    assert "1 links (related posts, previous and next): 0 between them, 1 to archived articles left out" in text
    assert "1 links (related posts, previous and next): 1 between them" in sheet(db, tmp_path / "all")


# --------------------------------------------------------------------------- one time zone


def test_every_time_in_the_datasheet_and_the_card_is_china_time(tmp_path):
    """Before, the export's own time was UTC (+00:00) beside crawl times in +08:00."""
    db = build(tmp_path / "itp6.db", [{}], [("http://127.0.0.1:8123", LOCAL_STATS)])
    out = tmp_path / "out"
    export(db, out)
    for name in ("DATASHEET.md", "README.md"):
        text = (out / name).read_text(encoding="utf-8")
        times = [match.group(0) for match in ANY_TIME.finditer(text)]
        assert times and all(time.endswith("+08:00") for time in times), (name, times)
    exported = re.search(r"Exported (\S+) \(China time", (out / "DATASHEET.md").read_text(encoding="utf-8"))
    assert exported and datetime.fromisoformat(exported.group(1)).utcoffset() == timedelta(hours=8)


def test_an_export_with_no_rows_has_no_config_and_says_why(replica_archive, tmp_path):
    out = tmp_path / "out"
    export(replica_archive, out, articles=ArticleFilter(since="2099-01-01"))
    text = (out / "README.md").read_text(encoding="utf-8")
    header = yaml.safe_load(text.split("---\n")[1])
    assert "configs" not in header and "dataset_info" not in header
    assert "This export has no rows, so it has no config to load." in text
    shutil.rmtree(out)
