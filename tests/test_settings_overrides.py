"""``-s NAME=VALUE``: every override is checked against the type of the setting's default before anything
starts; how a run's close reason becomes its finish_reason and exit status."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from itp6crawl.cli import main
from itp6crawl.crawl import setting_overrides


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CONCURRENT_REQUESTS", "16", 16),
        ("CLOSESPIDER_ITEMCOUNT", "10", 10),
        ("DOWNLOAD_DELAY", "0.5", 0.5),
        ("DOWNLOAD_DELAY", "3", 3.0),
        ("DOWNLOAD_TIMEOUT", "2.5", 2.5),  # an int default that Scrapy reads as a number of seconds
        ("CLOSESPIDER_TIMEOUT", "90", 90.0),
        ("ROBOTSTXT_OBEY", "false", False),
        ("ROBOTSTXT_OBEY", "1", True),
        ("ITP6_WARC", "False", False),
        ("ITEM_PIPELINES", '{"a.B": 1}', {"a.B": 1}),
        ("SPIDER_MODULES", '["a", "b"]', ["a", "b"]),
        ("SPIDER_MODULES", "a,b", ["a", "b"]),  # Scrapy's own comma form
        ("LOG_LEVEL", "DEBUG", "DEBUG"),
        ("ITP6_WARC_DIR", "/tmp/w", "/tmp/w"),  # no type to check against (default None)
        ("ITP6_WORKERS", "auto", "auto"),  # checked by the runner, with its own message
        ("ITP6_SINCE", "2024-01-31", "2024-01-31"),
        ("ITP6_MAX_ARTICLES", "5", 5),
        ("SOME_EXTENSION_SETTING", "x", "x"),  # unknown names pass, as with `scrapy crawl -s`
    ],
)
def test_good_values_become_the_type_of_the_default(name, value, expected):
    assert setting_overrides({name: value}) == {name: expected}


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("CONCURRENT_REQUESTS", "abc", "CONCURRENT_REQUESTS expects an integer"),
        ("CONCURRENT_REQUESTS", "2.5", "CONCURRENT_REQUESTS expects an integer"),
        ("DOWNLOAD_DELAY", "fast", "DOWNLOAD_DELAY expects a number"),
        ("DOWNLOAD_DELAY", "nan", "DOWNLOAD_DELAY expects a number"),
        ("ROBOTSTXT_OBEY", "yes", "ROBOTSTXT_OBEY expects a boolean"),
        ("ITEM_PIPELINES", "[1]", "ITEM_PIPELINES expects a JSON object"),
        ("DEFAULT_REQUEST_HEADERS", "{oops", "DEFAULT_REQUEST_HEADERS expects a JSON object"),
        ("SPIDER_MODULES", '{"a": 1}', "SPIDER_MODULES expects a list"),
        ("ITP6_SINCE", "31.1.2024", "ITP6_SINCE expects a date"),
        ("ITP6_MAX_ARTICLES", "-1", "ITP6_MAX_ARTICLES expects an integer"),
    ],
)
def test_bad_values_name_the_setting_the_type_and_the_value(name, value, expected):
    with pytest.raises(ValueError, match=expected) as raised:
        setting_overrides({name: value})
    assert repr(value) in str(raised.value) and "\n" not in str(raised.value)


def test_the_cli_says_it_in_one_line_and_exits_2_before_touching_the_archive(tmp_path):
    db = tmp_path / "new" / "itp6.db"
    result = CliRunner().invoke(
        main, ["crawl", "--site", "http://127.0.0.1:9", "-s", "RETRY_TIMES=twice", "--db", str(db)]
    )
    assert result.exit_code == 2
    assert result.output.strip() == "error: -s RETRY_TIMES expects an integer (its default is 2), got 'twice'"
    assert not (tmp_path / "new").exists()


def test_an_override_without_equals_is_one_line_too(tmp_path):
    result = CliRunner().invoke(main, ["crawl", "-s", "DOWNLOAD_DELAY", "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1 and "NAME=VALUE" in result.output


@pytest.mark.parametrize(
    ("option", "value"),
    [("--max-articles", "0"), ("--max-articles", "many"), ("--since", "2024-13-01"), ("--since", "last week")],
)
def test_bad_limits_are_usage_errors(tmp_path, option, value):
    result = CliRunner().invoke(main, ["crawl", option, value, "--db", str(tmp_path / "x.db")])
    assert result.exit_code == 2 and not (tmp_path / "x.db").exists()


class _Stats:
    def __init__(self, **values: int) -> None:
        self.values = {"response_received_count": 5, "itp6/articles_new": 3, **values}


@pytest.mark.parametrize(
    ("reason", "stats", "outcome"),
    [
        ("finished", {}, ("finished", 0)),
        ("closespider_itemcount", {}, ("closespider_itemcount", 0)),
        ("closespider_pagecount", {}, ("closespider_pagecount", 0)),
        ("closespider_timeout", {"itp6/articles_new": 0}, ("closespider_timeout", 0)),
        ("closespider_errorcount", {}, ("closespider_errorcount", 0)),
        ("max_articles", {}, ("max_articles", 0)),
        ("shutdown", {}, ("interrupted", 4)),
        ("failed", {}, ("failed", 1)),
        ("cancelled", {}, ("cancelled", 1)),
        ("closespider_timeout", {"response_received_count": 0}, ("failed", 1)),
        ("finished", {"itp6/articles_new": 0}, ("failed", 1)),
        ("finished", {"itp6/articles_new": 0, "itp6/skipped_since": 4}, ("finished", 0)),
    ],
)
def test_a_close_reason_becomes_a_finish_reason_and_an_exit_status(reason, stats, outcome):
    from itp6crawl.session import CrawlSession

    session = CrawlSession.__new__(CrawlSession)
    session.error = None
    assert session._outcome(reason, _Stats(**stats).values) == outcome
