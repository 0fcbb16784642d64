from __future__ import annotations

import base64
import gzip
import json
import socket
import subprocess
import sys

import pytest
import sqlite_utils
from click.testing import CliRunner

from itp6crawl.cli import main
from itp6crawl.replica import build_site

BASE = "https://www.itp6.com"


@pytest.mark.parametrize("command", ["crawl", "extract", "search", "demo", "runs", "stats", "reindex", "serve"])
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_extract_prints_the_article_as_json(tmp_path):
    site = build_site(n_articles=5, seed=4)
    spec = site.articles[1]
    page = tmp_path / "page.html"
    page.write_bytes(site.render(spec.path, BASE)[2])
    result = CliRunner().invoke(
        main, ["extract", str(page), "--url", spec.url(BASE), "--fetched-at", "2024-06-05T12:00:00+08:00"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    required = {
        "id",
        "url",
        "title",
        "author",
        "credit",
        "published_at",
        "modified_at",
        "categories",
        "tags",
        "summary",
        "body_text",
        "images",
        "related",
        "prev_url",
        "next_url",
        "comments",
    }
    assert required <= set(data)
    gold = next(g for g in site.gold(BASE) if g["id"] == spec.id)
    assert data["id"] == spec.id and data["title"] == gold["title"] and data["body_text"] == "\n\n".join(gold["body"])
    assert [r["url"] for r in data["related"]] == [r["url"] for r in gold["related"]]


def test_extract_reports_a_page_without_article(tmp_path):
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    result = CliRunner().invoke(main, ["extract", str(empty), "--url", f"{BASE}/1.html"])
    assert result.exit_code == 1 and "empty document" in result.output


def test_extract_rejects_a_bad_fetch_time(tmp_path):
    page = tmp_path / "p.html"
    page.write_bytes(b"<html></html>")
    result = CliRunner().invoke(main, ["extract", str(page), "--url", BASE, "--fetched-at", "yesterday"])
    assert result.exit_code == 2 and "ISO 8601" in result.output


def test_search_without_archive_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["search", "艾曲泊帕", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no archive at" in result.output


def test_local_is_refused_for_the_live_site(tmp_path):
    result = CliRunner().invoke(main, ["crawl", "--local", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2 and "loopback" in result.output


def test_a_search_runs_without_scrapy_twisted_or_sqlite_utils(replica_archive):
    """The cold start of ``itp6crawl search``: only the read side of the store, no crawler."""
    code = (
        "import sys; from itp6crawl.cli import main\n"
        "try: main(['search', '血小板', '--db', sys.argv[1], '--json'])\n"
        "except SystemExit: pass\n"
        "heavy = {'scrapy', 'twisted', 'sqlite_utils'} & {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(heavy), file=sys.stderr)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(replica_archive)], capture_output=True, text=True)
    assert '"url"' in result.stdout, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_the_store_package_exports_what_it_lists():
    import itp6crawl.store as store

    assert all(getattr(store, name) is not None for name in store.__all__)
    assert set(store.__all__) == set(store._HOMES)


def test_search_and_extract_do_not_import_scrapy():
    code = (
        "import sys, itp6crawl.cli as c, itp6crawl.search, itp6crawl.extract; "
        "print(any(m.split('.')[0] in ('scrapy', 'twisted') for m in sys.modules))"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_demo_crawls_and_searches(tmp_path, itp6crawl_cli):
    db = tmp_path / "demo.db"
    result = itp6crawl_cli("demo", "--articles", "12", "--db", str(db))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "articles: new 12, changed 0" in result.stdout and "failed 0" in result.stdout
    assert "itp6crawl search" in result.stdout and "https://www.itp6.com/" in result.stdout
    assert "艾曲泊帕" in result.stdout.split("itp6crawl search", 1)[1]  # the sample search's hits, as a table


def test_rerunning_the_demo_on_a_new_port_changes_nothing(tmp_path, itp6crawl_cli):
    db = tmp_path / "demo.db"
    assert itp6crawl_cli("demo", "--articles", "12", "--db", str(db)).returncode == 0
    again = itp6crawl_cli("demo", "--articles", "12", "--db", str(db))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "articles: new 0, changed 0" in again.stdout
    archive = sqlite_utils.Database(db)
    assert archive.table("article_versions").count == 0
    assert all(row["url"].startswith("https://www.itp6.com/") for row in archive.table("articles").rows)


def test_setting_override_must_be_name_equals_value(tmp_path):
    result = CliRunner().invoke(main, ["crawl", "-s", "DOWNLOAD_DELAY", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2 and "NAME=VALUE" in result.output


def test_a_worker_count_that_is_no_number_is_a_usage_error_before_anything_is_written(tmp_path):
    db = tmp_path / "x.db"
    result = CliRunner().invoke(
        main, ["crawl", "--site", "http://127.0.0.1:9", "--local", "-s", "ITP6_WORKERS=many", "--db", str(db)]
    )
    assert result.exit_code == 2 and "ITP6_WORKERS must be a number of processes or 'auto'" in result.output
    assert not db.exists()


def _free_port() -> int:
    with socket.socket() as probe:  # a free port nobody listens on
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_unreachable_site_fails_fast_with_one_line_and_no_new_archive(tmp_path, crawl_locally):
    """The site is checked before Scrapy starts: at INFO, one line in all (a started engine logs dozens,
    and would retry). No timed assertion: a loaded machine must not fail it."""
    db = tmp_path / "x.db"
    result = crawl_locally(f"http://127.0.0.1:{_free_port()}", db, log_level="INFO")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "cannot reach" in result.stderr and "Traceback" not in result.stderr
    assert "Spider opened" not in result.stderr
    assert not db.exists() and not db.parent.joinpath("warc").exists()


def test_unreachable_site_records_a_failed_run_in_an_existing_archive(tmp_path, crawl_locally):
    from itp6crawl.store import Archive

    db = tmp_path / "x.db"
    Archive.open(db).close()
    result = crawl_locally(f"http://127.0.0.1:{_free_port()}", db, log_level="ERROR")
    assert result.returncode == 1
    (run,) = sqlite_utils.Database(db).table("crawl_runs").rows
    assert (run["finish_reason"], run["exit_status"]) == ("failed", 1) and "cannot reach" in run["error"]


@pytest.mark.parametrize("site", ["www.itp6.com", "ftp://www.itp6.com", "https://"])
def test_a_bad_site_is_a_usage_error(site, tmp_path):
    result = CliRunner().invoke(main, ["crawl", "--site", site, "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2 and "--site must be an http(s) URL" in result.output


def test_a_run_that_archives_nothing_exits_1(tmp_path, crawl_locally):
    from itp6crawl.replica import ReplicaServer

    with ReplicaServer(build_site(n_articles=5)) as server:
        # localhost is not the 127.0.0.1 the replica's links name: pages are fetched, no article qualifies
        site = server.base_url.replace("127.0.0.1", "localhost")
        result = crawl_locally(site, tmp_path / "x.db", log_level="ERROR")
    assert result.returncode == 1 and "no article was archived" in result.stderr


@pytest.fixture(scope="module")
def crawled_archive(tmp_path_factory, itp6crawl_cli):
    from itp6crawl.replica import ReplicaServer

    db = tmp_path_factory.mktemp("runs") / "itp6.db"
    with ReplicaServer(build_site(n_articles=8, seed=21)) as server:
        for _ in range(2):
            result = itp6crawl_cli("crawl", "--site", server.base_url, "--db", str(db), "--local")
            assert result.returncode == 0, result.stderr[-2000:]
    return db


def test_the_printed_summary_is_the_run_row(crawled_archive, itp6crawl_cli):
    rows = json.loads(itp6crawl_cli("runs", "--db", str(crawled_archive), "--json").stdout)
    stored = list(sqlite_utils.Database(crawled_archive).query("SELECT * FROM crawl_runs ORDER BY id DESC"))
    assert [row["id"] for row in rows] == [row["id"] for row in stored] == [2, 1]
    for row, run in zip(rows, stored, strict=True):
        assert {key: run[key] for key in row} == row
    assert rows[1]["articles_new"] == 8 and rows[0]["articles_new"] == 0 and rows[0]["exit_status"] == 0


def test_runs_and_stats_as_tables(crawled_archive, itp6crawl_cli):
    runs = itp6crawl_cli("runs", "--db", str(crawled_archive))
    assert runs.returncode == 0 and "finish_reason" in runs.stdout and "finished" in runs.stdout
    stats = itp6crawl_cli("stats", "--db", str(crawled_archive))
    assert stats.returncode == 0 and "articles by status" in stats.stdout and "live" in stats.stdout


def test_stats_summarises_the_archive(crawled_archive, itp6crawl_cli):
    report = json.loads(itp6crawl_cli("stats", "--db", str(crawled_archive), "--json").stdout)
    assert report["articles_by_status"] == {"live": 8}
    assert sum(row["articles"] for row in report["articles_by_month"]) == 8
    assert report["articles_by_category"] and report["latest_run"]["id"] == 2
    assert report["totals"]["crawl_runs"] == 2


@pytest.mark.parametrize("command", ["runs", "stats", "reindex"])
def test_reports_on_a_missing_archive_are_one_line(tmp_path, command, itp6crawl_cli):
    result = itp6crawl_cli(command, "--db", str(tmp_path / "none.db"))
    assert result.returncode == 1 and result.stderr.startswith("error: ") and "Traceback" not in result.stderr


def test_search_shows_the_total_and_pages_with_offset(crawled_archive, itp6crawl_cli):
    first = json.loads(itp6crawl_cli("search", "血小板", "--db", str(crawled_archive), "--json", "--limit", "2").stdout)
    second = json.loads(
        itp6crawl_cli(
            "search", "血小板", "--db", str(crawled_archive), "--json", "--limit", "2", "--offset", "2"
        ).stdout
    )
    assert len(first) == 2 and not {hit["id"] for hit in first} & {hit["id"] for hit in second}
    table = itp6crawl_cli("search", "血小板", "--db", str(crawled_archive), "--limit", "2")
    assert table.returncode == 0 and "1-2 of " in table.stdout and "articles match" in table.stdout
    assert "https://www.itp6.com/" in table.stdout and "血小板" in table.stdout
    assert "【血小板】" not in table.stdout  # piped: plain text, no markers the site's own 【…】 could fake
    for hit in first:  # --json: the snippet as written, the hits as offsets into it
        assert hit["snippet_matches"] and all(hit["snippet"][a:b] == "血小板" for a, b in hit["snippet_matches"])


def test_search_json_lines_and_unquoted_exclusions(crawled_archive, itp6crawl_cli):
    lines = itp6crawl_cli("search", "血小板", "-激素", "--db", str(crawled_archive), "--nl").stdout.splitlines()
    hits = [json.loads(line) for line in lines]
    assert hits and all(set(hit) >= {"id", "url", "title", "snippet", "categories"} for hit in hits)
    excluded = {
        hit["id"] for hit in json.loads(itp6crawl_cli("search", "激素", "--db", str(crawled_archive), "--json").stdout)
    }
    assert not {hit["id"] for hit in hits} & excluded


def test_a_query_with_nothing_to_search_is_a_usage_error(crawled_archive, itp6crawl_cli):
    result = itp6crawl_cli("search", "-激素", "--db", str(crawled_archive))
    assert result.returncode == 2 and result.stderr.startswith("error: nothing to search for")


def test_search_finds_the_demo_archive_when_it_is_the_only_one(tmp_path, crawled_archive):
    import os
    import shutil

    (tmp_path / "archive").mkdir()
    shutil.copy(crawled_archive, tmp_path / "archive" / "demo.db")
    result = subprocess.run(
        [sys.executable, "-m", "itp6crawl", "search", "血小板"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert result.returncode == 0 and "archive/demo.db" in result.stdout
    empty = subprocess.run(
        [sys.executable, "-m", "itp6crawl", "search", "血小板"],
        cwd=tmp_path / "archive",
        capture_output=True,
        text=True,
    )
    assert empty.returncode == 1 and "itp6crawl crawl" in empty.stderr and "make demo" in empty.stderr


@pytest.mark.parametrize(
    "command", [["reindex"], ["serve", "--port", "1"], ["export", "--out", "x"], ["runs"], ["stats"]]
)
def test_a_db_that_is_not_sqlite_is_one_clear_line_for_every_command(tmp_path, command):
    text = tmp_path / "notes.db"
    text.write_text("these are my notes, not an archive\n")
    result = CliRunner().invoke(main, [*command, "--db", str(text)])
    assert result.exit_code == 1, result.output
    assert "not a" in result.output and "Traceback" not in result.output
    assert text.read_text() == "these are my notes, not an archive\n"  # nothing written into it


@pytest.mark.parametrize("page", ["home", "binary"])
def test_extract_refuses_what_is_not_an_article(tmp_path, page):
    from itp6crawl.replica import build_site

    path = tmp_path / "page"
    if page == "home":
        path.write_bytes(build_site(n_articles=5, seed=1).render("/", "https://www.itp6.com")[2])
    else:
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(500))
    result = CliRunner().invoke(main, ["extract", str(path), "--url", "https://www.itp6.com/1.html"])
    assert result.exit_code == 1 and ("not an article page" in result.output or "not an HTML page" in result.output)


def _text_of_archive(db) -> str:
    """Every text value of every table of the archive, and its log of runs."""
    import sqlite3

    with sqlite3.connect(db) as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(
            str(value)
            for table in tables
            for row in connection.execute(f'SELECT * FROM "{table}"')
            for value in row
            if isinstance(value, str)
        )


def test_a_password_in_the_site_url_is_never_printed_nor_stored(tmp_path, crawl_locally):
    """``--site http://user:secret@host``: the credentials go to the server as HTTP basic auth, and the
    password shows nowhere: not in the output, the log (at DEBUG, every request), the run row, failures,
    nor in what the server was told (Referer, User-Agent)."""
    from itp6crawl.replica import ReplicaServer

    site = build_site(n_articles=6, seed=29)
    db = tmp_path / "x.db"
    with ReplicaServer(site) as server:
        server.inject_fault(site.articles[1].path, 503, times=None)  # a failure row naming the page
        with_password = server.base_url.replace("http://", "http://reader:secret@")
        result = crawl_locally(with_password, db, log_level="DEBUG")
        requests = list(server.request_log)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Crawled (200)" in result.stderr and requests  # the log names every request
    assert "secret" not in result.stdout + result.stderr
    (run,) = sqlite_utils.Database(db).table("crawl_runs").rows
    assert "secret" not in _text_of_archive(db) and "secret" not in run["site"]
    assert "secret" not in "".join(str(entry) for entry in requests)
    # The WARC request records name the scheme of the credentials sent, never the credentials.
    (warc,) = (tmp_path / "warc").iterdir()
    raw = gzip.decompress(warc.read_bytes())
    encoded = base64.b64encode(b"reader:secret")
    assert b"Authorization: Basic ***" in raw and encoded not in raw and b"secret" not in raw


def test_a_password_in_an_unreachable_or_bad_site_url_is_redacted_in_the_error(tmp_path, crawl_locally):
    db = tmp_path / "x.db"
    from itp6crawl.store import Archive

    Archive.open(db).close()
    result = crawl_locally(f"http://reader:secret@127.0.0.1:{_free_port()}", db, log_level="DEBUG")
    assert result.returncode == 1 and "cannot reach http://reader:***@127.0.0.1:" in result.stderr
    assert "secret" not in result.stdout + result.stderr + _text_of_archive(db)
    for bad in ("ftp://reader:secret@www.itp6.com", "http://reader:secret@"):
        result = CliRunner().invoke(main, ["crawl", "--site", bad, "--db", str(db)])
        assert result.exit_code == 2 and "reader:***@" in result.output and "secret" not in result.output
    result = CliRunner().invoke(
        main, ["crawl", "--site", "https://reader:secret@www.itp6.com", "--local", "--db", str(db)]
    )
    assert result.exit_code == 2 and "secret" not in result.output and "reader:***@www.itp6.com" in result.output


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://reader:secret@127.0.0.1:8080/x", "http://reader:***@127.0.0.1:8080/x"),
        ("https://reader:s%40cret@www.itp6.com", "https://reader:***@www.itp6.com"),
        ("http://reader@www.itp6.com", "http://reader@www.itp6.com"),  # a user alone is no secret
        ("https://www.itp6.com", "https://www.itp6.com"),
        ("http://reader:secret@[::1", "http://***@[::1"),  # not a URL at all: masked all the same
    ],
)
def test_redact_url_hides_the_password_only(url, shown):
    from itp6crawl.urls import redact_url

    assert redact_url(url) == shown


def test_credentials_become_basic_auth_for_the_sites_hosts_and_are_not_in_the_logged_settings():
    import base64
    import pprint
    from types import SimpleNamespace

    from scrapy import Request
    from scrapy.downloadermiddlewares.httpauth import HttpAuthMiddleware
    from scrapy.settings import overridden_settings
    from scrapy.signalmanager import SignalManager

    from itp6crawl.crawl import crawl_settings, credential_settings

    site, credentials = credential_settings("https://reader:s%40cret@www.itp6.com")
    assert site == "https://www.itp6.com" and credential_settings(site) == (site, {})
    settings = crawl_settings("x.db", overrides=credentials)
    assert "cret" not in pprint.pformat(dict(overridden_settings(settings.copy())))  # Scrapy logs this at INFO
    middleware = HttpAuthMiddleware.from_crawler(SimpleNamespace(settings=settings.copy(), signals=SignalManager()))
    sent = Request("https://itp6.com/robots.txt")
    middleware.process_request(sent)
    assert sent.headers["Authorization"] == b"Basic " + base64.b64encode(b"reader:s@cret")
    elsewhere = Request("https://example.org/")
    middleware.process_request(elsewhere)
    assert b"Authorization" not in elsewhere.headers


def test_the_credentials_in_the_site_url_reach_the_site_as_basic_auth(tmp_path, crawl_locally):
    """Every request to the site (the probe, robots.txt, sitemaps, pages) carries them, on any port."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: list[tuple[str, str | None]] = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Authorization")))
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = crawl_locally(f"http://reader:s%40cret@127.0.0.1:{server.server_address[1]}", tmp_path / "x.db")
    finally:
        server.shutdown()
    printed = result.stdout + result.stderr
    assert result.returncode == 1 and "s%40cret" not in printed and "s@cret" not in printed  # nothing to archive
    assert {path for path, _ in seen} >= {"/robots.txt", "/"}
    assert {auth for _, auth in seen} == {"Basic cmVhZGVyOnNAY3JldA=="}  # reader:s@cret


# --------------------------------------------------------------------------- issue [8]: the shell

ALL_COMMANDS = ["crawl", "extract", "search", "demo", "runs", "stats", "reindex", "serve", "export"]


@pytest.mark.parametrize("command", [[], *([name] for name in ALL_COMMANDS)])
def test_dash_h_is_help_everywhere(command):
    result = CliRunner().invoke(main, [*command, "-h"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and "-h, --help" in result.output


@pytest.mark.parametrize("command", ["runs", "stats"])
def test_reports_find_the_archive_as_search_does(tmp_path, monkeypatch, crawled_archive, command):
    """After `make demo` only archive/demo.db exists: `runs` and `stats` said there was no archive."""
    import shutil

    (tmp_path / "archive").mkdir()
    shutil.copy(crawled_archive, tmp_path / "archive" / "demo.db")
    monkeypatch.chdir(tmp_path)
    found = CliRunner().invoke(main, [command, "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)
    monkeypatch.chdir(tmp_path / "archive")  # neither archive/itp6.db nor archive/demo.db here
    missing, searched = CliRunner().invoke(main, [command]), CliRunner().invoke(main, ["search", "血小板"])
    assert missing.exit_code == searched.exit_code == 1
    assert missing.stderr == searched.stderr and "make demo" in missing.stderr and missing.stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["runs", "stats", "search", "export"])
def test_readers_help_names_the_archive_they_read(command):
    text = " ".join(CliRunner().invoke(main, [command, "--help"]).output.split())
    assert "created if missing" not in text and "archive/itp6.db, or archive/demo.db when only that exists" in text


NOTHING_TO_SEARCH = ["", "title:", "-", "OR", "()", '""', "NOT", "-激素", "title: OR -", "AND (title:)"]


@pytest.mark.parametrize("query", NOTHING_TO_SEARCH)
def test_a_query_with_nothing_to_search_is_one_usage_line_in_search_and_export(tmp_path, replica_archive, query):
    """`search 'title:'` said "0 articles match" and `export --query ''` exported everything."""
    searched = CliRunner().invoke(main, ["search", query, "--db", str(replica_archive)])
    assert searched.exit_code == 2, searched.output
    assert searched.stderr.startswith("error: nothing to search for") and searched.stderr.count("\n") == 1
    assert searched.stdout == ""
    out = tmp_path / "out"
    exported = CliRunner().invoke(main, ["export", "--db", str(replica_archive), "--out", str(out), "--query", query])
    assert exported.exit_code == 2 and exported.stderr == searched.stderr and not out.exists()


@pytest.mark.parametrize(
    ("args", "near"),
    [
        (["search", "血小板", "--dbb", "x.db"], "--db"),
        (["search", "--limt=3", "血小板"], "--limit"),
        (["search", "血小板", "--catgory", "x"], "--category"),
        (["runs", "--limt", "3"], "--limit"),
        (["export", "--quer", "x", "--out", "y"], "--query"),
        (["serch", "血小板"], "search"),
    ],
)
def test_an_unknown_option_or_command_suggests_the_near_one(args, near):
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "Did you mean" in result.stderr and repr(near) in result.stderr and "Traceback" not in result.output


def test_a_chinese_prefix_finds_the_words_it_begins(replica_archive):
    """`艾曲*` found 0 articles and said nothing."""
    prefixed = CliRunner().invoke(main, ["search", "艾曲*", "--db", str(replica_archive), "--json", "--limit", "1000"])
    whole = CliRunner().invoke(main, ["search", "艾曲泊帕", "--db", str(replica_archive), "--json", "--limit", "1000"])
    assert prefixed.exit_code == whole.exit_code == 0
    assert {hit["id"] for hit in json.loads(whole.stdout)} <= {hit["id"] for hit in json.loads(prefixed.stdout)}
    assert json.loads(whole.stdout)


def test_extract_prints_the_canonical_urls_the_archive_stores(tmp_path):
    """A page saved from the replica (or the site over http) printed its server's host in every URL."""
    site = build_site(n_articles=5, seed=4)
    spec = site.articles[1]
    served = "http://127.0.0.1:8123"
    page = tmp_path / "page.html"
    page.write_bytes(site.render(spec.path, served)[2])
    result = CliRunner().invoke(main, ["extract", str(page), "--url", spec.url(served)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    urls = [data["url"], data["prev_url"], data["next_url"], *(link["url"] for link in data["related"])]
    assert data["url"] == f"{BASE}/{spec.id}.html" and data["related"]
    assert all(url is None or url.startswith(f"{BASE}/") for url in urls)
    assert "127.0.0.1" not in result.stdout


# --------------------------------------------------------------------------- issue [8]: display

_ESCAPES = __import__("re").compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b\[[0-9;?]*[A-Za-z]")


def in_a_terminal(*args: str, width: int, stdout_to_pipe: bool = False) -> tuple[str, str]:
    """``itp6crawl ARGS`` with its stderr (and stdout, unless piped) on a terminal ``width`` columns wide:
    (what the terminal showed, escapes removed; what went to the pipe)."""
    import os
    import pty

    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": str(width), "LINES": "40", "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [sys.executable, "-m", "itp6crawl", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if stdout_to_pipe else slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the process closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    piped = process.stdout.read().decode() if process.stdout else ""
    process.wait(timeout=120)
    os.close(master)
    shown = b"".join(chunks).decode("utf-8", "replace").replace("\r\n", "\n")
    return _ESCAPES.sub("", shown), piped


def _widths(text: str) -> list[int]:
    from rich.cells import cell_len

    return [cell_len(line) for line in text.splitlines()]


@pytest.mark.parametrize("width", [60, 80])
def test_runs_and_stats_keep_headers_and_times_whole_in_a_narrow_terminal(crawled_archive, width):
    """`stats` broke its headers (started_a t) and `runs` printed +08:00 times without their zone."""
    import re

    runs, _ = in_a_terminal("runs", "--db", str(crawled_archive), width=width)
    assert "started (UTC+8)" in runs
    for header in ("run", "minutes", "finish_reason", "exit", "requests", "fetched", "304", "skipped"):
        assert re.search(rf"(?<![\w-]){header}(?![\w-])", runs), (header, runs)
    stored = [row["started_at"] for row in sqlite_utils.Database(crawled_archive).query("SELECT * FROM crawl_runs")]
    assert all(started.endswith("+08:00") for started in stored)
    for started in stored:
        assert started[:16].replace("T", " ") in runs, runs
    stats, _ = in_a_terminal("stats", "--db", str(crawled_archive), width=width)
    for header in ("started_at", "finished_at", "finish_reason", "articles_new", "skipped_lastmod", "not_modified"):
        assert re.search(rf"(?<![\w-]){header}(?![\w-])", stats), (header, stats)
    assert max(_widths(runs + stats)) <= width


@pytest.mark.parametrize("width", [60, 80])
def test_search_keeps_every_url_whole_in_a_narrow_terminal(crawled_archive, itp6crawl_cli, width):
    hits = json.loads(itp6crawl_cli("search", "血小板", "--db", str(crawled_archive), "--json", "--limit", "5").stdout)
    shown, _ = in_a_terminal("search", "血小板", "--db", str(crawled_archive), "--limit", "5", width=width)
    assert len(hits) == 5 and all(hit["url"] in shown for hit in hits), shown
    assert all(hit["published_at"][:10] in shown for hit in hits)
    count, table = shown.split("\n", 1)
    assert count.startswith("1-5 of 8 articles match '血小板'")  # a line of text: the terminal wraps it
    assert max(_widths(table)) <= width


def test_export_and_reindex_show_progress_off_a_terminal_on_stderr_only(tmp_path, crawled_archive):
    out = tmp_path / "out"
    exported = CliRunner().invoke(main, ["export", "--db", str(crawled_archive), "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    assert "progress: export: articles 8/8 (100%)" in exported.stderr and "progress" not in exported.stdout
    rebuilt = tmp_path / "rebuilt.db"
    warc = crawled_archive.parent / "warc"
    reindexed = CliRunner().invoke(main, ["reindex", "--db", str(rebuilt), "--warc", str(warc), "--jobs", "1"])
    assert reindexed.exit_code == 0, reindexed.output
    assert "progress: reindex: responses replayed" in reindexed.stderr and "done in" in reindexed.stderr
    assert "progress" not in reindexed.stdout


def test_export_shows_a_progress_display_in_a_terminal_and_keeps_it_out_of_stdout(tmp_path, crawled_archive):
    shown, piped = in_a_terminal(
        "export", "--db", str(crawled_archive), "--out", str(tmp_path / "out"), width=100, stdout_to_pipe=True
    )
    assert "export: articles" in shown and "8/8" in shown and "progress:" not in shown
    assert "articles.jsonl" in piped and "export:" not in piped


def test_search_says_what_else_it_searched_and_exact_turns_it_off(crawled_archive, itp6crawl_cli):
    table = itp6crawl_cli("search", "eltrombopag", "--db", str(crawled_archive), "--limit", "2")
    assert table.returncode == 0 and "also searched: eltrombopag: 艾曲泊帕, " in table.stdout
    assert "1-2 of " in table.stdout  # the replica writes only 艾曲泊帕: found through the expansion
    exact = itp6crawl_cli("search", "eltrombopag", "--db", str(crawled_archive), "--exact")
    assert exact.returncode == 0 and "0 articles match" in exact.stderr and "also searched" not in exact.stderr
    lines = itp6crawl_cli("search", "eltrombopag", "--db", str(crawled_archive), "--nl", "--limit", "2")
    assert "also searched: eltrombopag" in lines.stderr and len(lines.stdout.splitlines()) == 2  # data stays data
