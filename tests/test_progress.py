"""The crawl progress extension: the log line, the live panel, mode selection, and the signal handlers."""

from __future__ import annotations

import io
import logging
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import project_crawler
from rich.console import Console
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, Request

from itp6crawl import progress
from itp6crawl.progress import (
    CrawlProgress,
    JobProgress,
    RateMeter,
    format_duration,
    format_eta,
    format_progress,
    pending_requests,
    progress_table,
    resolve_mode,
    shorten,
)

STATS = {
    "itp6/discovered": 2000,
    "itp6/fetched": 120,
    "itp6/not_modified": 1800,
    "itp6/skipped_lastmod": 60,
    "itp6/articles_new": 3,
    "itp6/articles_changed": 1,
    "itp6/articles_unchanged": 114,
    "itp6/articles_gone": 1,
    "itp6/failures": 1,
    "downloader/request_count": 1990,
    "downloader/response_bytes": 12_345_678,
    "response_received_count": 1985,
}


class FakeTTY(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


class FakeLoopingCall:
    """Stands in for ``create_looping_call``'s result: records start/stop, fires on demand."""

    made: list[FakeLoopingCall] = []  # noqa: RUF012 - reset by the fixture

    def __init__(self, func: Any, *args: Any, **kwargs: Any) -> None:
        self.func, self.args, self.kwargs = func, args, kwargs
        self.running = False
        self.interval: float | None = None
        self.now: bool | None = None
        FakeLoopingCall.made.append(self)

    def start(self, interval: float, now: bool = True) -> None:
        self.running, self.interval, self.now = True, interval, now
        if now:
            self.fire()

    def stop(self) -> None:
        self.running = False

    def fire(self) -> None:
        self.func(*self.args, **self.kwargs)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def loops(monkeypatch: pytest.MonkeyPatch) -> list[FakeLoopingCall]:
    FakeLoopingCall.made = []
    monkeypatch.setattr(progress, "create_looping_call", FakeLoopingCall)
    return FakeLoopingCall.made


def fake_engine(queued: int, in_flight: int) -> SimpleNamespace:
    return SimpleNamespace(
        scheduler=[object()] * queued, downloader=SimpleNamespace(active={object() for _ in range(in_flight)})
    )


def make_extension(settings: dict[str, Any], clock: FakeClock, **kwargs: Any) -> CrawlProgress:
    crawler = project_crawler(Spider, settings=settings)
    extension = CrawlProgress.from_crawler(crawler)
    extension.clock = clock
    for name, value in kwargs.items():
        setattr(extension, name, value)
    return extension


def set_stats(extension: CrawlProgress, stats: dict[str, int]) -> None:
    for key, value in stats.items():
        extension.stats.set_value(key, value)


def progress_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "itp6crawl.progress"]


# -- the log line --------------------------------------------------------------------------------


def test_log_line_formats_the_figures() -> None:
    line = format_progress(STATS, rate=2.4, pending=456, current_url="https://www.itp6.com/123.html")
    assert line == (
        "progress: discovered 2000, fetched 120, not modified 1800, skipped 60, "
        "archived 118 (new 3, changed 1, unchanged 114), gone 1, failed 1, requests 1990, 12.3 MB, "
        "2.4 pages/s, ETA 3m10s, current https://www.itp6.com/123.html"
    )


def test_log_line_with_unknowns() -> None:
    line = format_progress({}, rate=None, pending=None, current_url=None)
    assert line == (
        "progress: discovered 0, fetched 0, not modified 0, skipped 0, "
        "archived 0 (new 0, changed 0, unchanged 0), gone 0, failed 0, requests 0, 0.0 MB, "
        "— pages/s, ETA —"
    )
    assert "ETA —" in format_progress(STATS, rate=0.0, pending=10, current_url=None)  # stalled: no ETA
    assert "ETA —" in format_progress(STATS, rate=2.0, pending=None, current_url=None)
    assert "ETA 0s" in format_progress(STATS, rate=None, pending=0, current_url=None)  # nothing left
    assert "0.25 pages/s" in format_progress(STATS, rate=0.25, pending=None, current_url=None)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45.4, "45s"), (190, "3m10s"), (3600, "1h00m"), (7500, "2h05m"), (3 * 86400 + 4 * 3600, "3d04h")],
)
def test_durations(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def test_eta_is_pending_over_rate() -> None:
    assert format_eta(2.0, 120) == "1m00s"
    assert format_eta(None, 120) == "—"


def test_shorten_cuts_in_the_middle() -> None:
    url = "https://www.itp6.com/" + "x" * 100 + "/12345.html"
    short = shorten(url, 50)
    assert len(short) == 50
    assert short.startswith("https://www.itp6.com/")
    assert short.endswith("12345.html")
    assert "…" in short
    assert shorten("short", 40) == "short"


def test_rate_meter_slides_over_its_window() -> None:
    meter = RateMeter(window=10.0)
    meter.add(0.0, 0)
    assert meter.rate is None  # one sample: unknown
    meter.add(5.0, 50)
    assert meter.rate == pytest.approx(10.0)
    meter.add(10.0, 100)
    meter.add(15.0, 110)  # slower lately: the window is 5..15 now
    assert meter.rate == pytest.approx(6.0)


# -- modes -------------------------------------------------------------------------------------


def test_auto_mode_is_live_on_a_terminal_and_log_otherwise() -> None:
    assert resolve_mode("auto", FakeTTY(True)) == "live"
    assert resolve_mode("auto", FakeTTY(False)) == "log"
    assert resolve_mode(None, FakeTTY(True)) == "live"
    assert resolve_mode("LIVE", FakeTTY(False)) == "live"
    assert resolve_mode("log", FakeTTY(True)) == "log"
    assert resolve_mode("off", FakeTTY(True)) == "off"
    assert resolve_mode(False, FakeTTY(True)) == "off"
    with pytest.raises(ValueError, match="ITP6_PROGRESS"):
        resolve_mode("fancy", FakeTTY(True))


@pytest.mark.parametrize(("tty", "mode"), [(True, "live"), (False, "log")])
def test_from_crawler_auto_looks_at_stderr(monkeypatch: pytest.MonkeyPatch, tty: bool, mode: str) -> None:
    monkeypatch.setattr(sys, "stderr", FakeTTY(tty))
    extension = CrawlProgress.from_crawler(project_crawler(Spider))  # ITP6_PROGRESS unset: auto
    assert extension.mode == mode
    assert extension.interval == 30.0


def test_off_raises_not_configured() -> None:
    with pytest.raises(NotConfigured):
        CrawlProgress.from_crawler(project_crawler(Spider, settings={"ITP6_PROGRESS": "off"}))


# -- log mode ----------------------------------------------------------------------------------


def test_log_mode_logs_at_the_interval_and_at_close(
    loops: list[FakeLoopingCall], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="itp6crawl.progress")
    clock = FakeClock()
    extension = make_extension({"ITP6_PROGRESS": "log", "ITP6_PROGRESS_INTERVAL": 10}, clock)
    extension.crawler.engine = fake_engine(queued=40, in_flight=8)
    spider = Spider(name="itp6")

    extension.spider_opened(spider)
    (loop,) = loops
    assert (loop.interval, loop.now, loop.running) == (10.0, False, True)  # no line at the start
    assert progress_lines(caplog) == []

    clock.now += 10
    set_stats(extension, {**STATS, "response_received_count": 24})
    request = Request("http://127.0.0.1:8000/123.html")
    extension.response_received(HtmlResponse(request.url, request=request), request, spider)
    loop.fire()
    (line,) = progress_lines(caplog)
    assert line.startswith("progress: discovered 2000, fetched 120, not modified 1800, skipped 60, archived 118")
    assert "2.4 pages/s, ETA 20s, current http://127.0.0.1:8000/123.html" in line  # 48 pending at 2.4/s

    clock.now += 10
    extension.crawler.engine = fake_engine(queued=0, in_flight=0)
    set_stats(extension, {"response_received_count": 40, "itp6/articles_new": 5})
    extension.spider_closed(spider, "finished")
    assert not loop.running
    final = progress_lines(caplog)[-1]
    assert len(progress_lines(caplog)) == 2
    assert "archived 120 (new 5, changed 1, unchanged 114)" in final
    assert "2.0 pages/s, ETA 0s" in final  # the whole-crawl average at the end: 40 responses in 20 s

    extension.engine_stopped()  # after spider_closed: nothing more
    assert len(progress_lines(caplog)) == 2


def test_engine_stopped_alone_still_gives_the_final_line(
    loops: list[FakeLoopingCall], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="itp6crawl.progress")
    extension = make_extension({"ITP6_PROGRESS": "log"}, FakeClock())
    extension.spider_opened(Spider(name="itp6"))
    extension.engine_stopped()
    assert not loops[0].running
    assert len(progress_lines(caplog)) == 1


def test_pending_requests() -> None:
    crawler = project_crawler(Spider)
    assert pending_requests(crawler) is None  # no engine yet
    crawler.engine = fake_engine(queued=3, in_flight=2)
    assert pending_requests(crawler) == 5
    crawler.engine = SimpleNamespace(scheduler=None, _slot=SimpleNamespace(scheduler=[1, 2]), downloader=None)
    assert pending_requests(crawler) == 2  # the pre-2.19 place
    crawler.engine = SimpleNamespace(scheduler=object(), downloader=None)
    assert pending_requests(crawler) is None  # a scheduler without __len__


# -- live mode ---------------------------------------------------------------------------------


def render(renderable: Any, width: int = 120) -> str:
    console = Console(record=True, width=width, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


def test_live_panel_contains_the_figures() -> None:
    text = render(progress_table(STATS, rate=2.4, pending=456, current_url="https://www.itp6.com/123.html"))
    for label, value in [
        ("discovered", "2,000"),
        ("fetched", "120"),
        ("not modified", "1,800"),
        ("skipped (lastmod)", "60"),
        ("archived", "118"),
        ("new/changed/unchanged", "3/1/114"),
        ("gone", "1"),
        ("failed", "1"),
        ("requests", "1,990"),
        ("downloaded", "12.3 MB"),
        ("rate", "2.4 pages/s"),
        ("ETA", "3m10s"),
    ]:
        assert any(label in row and value in row for row in text.splitlines()), (label, value, text)
    assert "current https://www.itp6.com/123.html" in text


def test_live_panel_fits_a_narrow_terminal_and_truncates_the_url() -> None:
    url = "https://www.itp6.com/" + "x" * 300 + "/12345.html"
    text = render(progress_table(STATS, rate=None, pending=None, current_url=url), width=60)
    assert max(len(row) for row in text.splitlines()) <= 60
    assert "skipped (lastmod)" in text
    assert "ETA" in text and "—" in text
    assert "12345.html" in text and "…" in text  # cut in the middle, the article id kept


def test_live_mode_shows_the_final_state_once(loops: list[FakeLoopingCall]) -> None:
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    extension = make_extension({"ITP6_PROGRESS": "live"}, FakeClock(), console=console)
    extension.spider_opened(Spider(name="itp6"))
    (loop,) = loops
    assert (loop.interval, loop.running) == (progress.LIVE_REFRESH, True)
    set_stats(extension, STATS)
    extension.spider_closed(Spider(name="itp6"), "finished")
    extension.engine_stopped()
    assert not loop.running
    assert extension.live is None
    text = out.getvalue()
    assert text.count("discovered") == 1  # not a terminal: only the final state is printed
    assert "2,000" in text and "3/1/114" in text


def test_live_mode_moves_log_output_above_the_panel(
    loops: list[FakeLoopingCall], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_stderr = FakeTTY(True)
    monkeypatch.setattr(sys, "stderr", real_stderr)
    handler = logging.StreamHandler()  # as Scrapy's root handler: bound to the stderr of its creation time
    handler.setFormatter(logging.Formatter("LOG %(message)s"))
    logging.root.addHandler(handler)
    screen = io.StringIO()
    console = Console(file=screen, width=120, force_terminal=True)
    try:
        extension = make_extension({"ITP6_PROGRESS": "live"}, FakeClock(), console=console)
        extension.spider_opened(Spider(name="itp6"))
        assert sys.stderr is not real_stderr  # rich's proxy
        assert handler.stream is sys.stderr
        logging.getLogger("scrapy.test").warning("hello from scrapy")
        extension.spider_closed(Spider(name="itp6"), "finished")
    finally:
        logging.root.removeHandler(handler)
    assert sys.stderr is real_stderr
    assert handler.stream is real_stderr
    assert real_stderr.getvalue() == ""  # nothing bypassed the display
    assert "LOG hello from scrapy" in screen.getvalue()


# -- reindex and export (issue [8]: they showed no progress) ----------------------------------------


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __call__(self, line: str) -> None:
        self.lines.append(line)


def test_importing_progress_does_not_import_scrapy() -> None:
    """export and reindex show progress through this module; export must start without Scrapy."""
    import subprocess

    code = (
        "import sys, itp6crawl.progress;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_job_progress_off_a_terminal_logs_at_the_interval_a_finished_step_and_the_end() -> None:
    clock, write = FakeClock(), Lines()
    with JobProgress("export", "auto", interval=30, clock=clock, write=write, stderr=FakeTTY(False)) as shown:
        assert shown.mode == "log"
        shown.update("near-duplicates", 0, 20_000)
        clock.now += 10
        shown.update("near-duplicates", 5_000, 20_000)
        assert write.lines == []  # not yet 30 s
        clock.now += 20
        shown.update("near-duplicates", 10_000, 20_000)
        assert write.lines == ["progress: export: near-duplicates 10,000/20,000 (50%), 333/s, ETA 30s"]
        clock.now += 5
        shown.update("near-duplicates", 20_000, 20_000)  # a step's end is always told
        assert write.lines[-1] == "progress: export: near-duplicates 20,000/20,000 (100%), 571/s, done in 35s"
        shown.update("articles", 0, 20_000)
        clock.now += 4
        shown.update("articles", 20_000, 20_000)
        shown.update("links", 0, 0)
        shown.update("links", 0, 0)
    assert write.lines[2:] == [
        "progress: export: articles 20,000/20,000 (100%), 5,000/s, done in 4s",
        "progress: export: links 0/0 (100%), done in 0s",
    ]


def test_job_progress_without_a_total_counts_and_gives_the_final_line_once() -> None:
    clock, write = FakeClock(), Lines()
    with JobProgress("reindex", "log", interval=30, clock=clock, write=write) as shown:
        for done in range(1, 101):
            clock.now += 0.5
            shown.update("responses replayed", done)
    assert write.lines == [
        "progress: reindex: responses replayed 60, 2.0/s",
        "progress: reindex: responses replayed 100, 2.0/s, done in 50s",
    ]


def test_job_progress_off_shows_nothing() -> None:
    write = Lines()
    with JobProgress("reindex", "off", write=write) as shown:
        shown.update("responses replayed", 1)
    assert write.lines == []


def test_job_progress_in_a_terminal_is_a_rich_display_on_stderr_left_on_screen() -> None:
    clock = FakeClock()
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=80, color_system=None)
    with JobProgress("export", "live", clock=clock, console=console) as shown:
        shown.update("near-duplicates", 0, 400)
        clock.now += 2
        shown.update("near-duplicates", 400, 400)
        shown.update("articles", 200, 400)
    text = screen.getvalue()
    assert "near-duplicates" in text and "400/400" in text and "articles" in text and "200/400" in text


def test_job_progress_steps_run_one_after_another() -> None:
    """export reports its near-duplicate pass every 5,000 articles: the next file ends it."""
    clock, write = FakeClock(), Lines()
    with JobProgress("export", "log", interval=30, clock=clock, write=write) as shown:
        shown.update("near-duplicates", 5_000, 7_000)
        clock.now += 7
        shown.update("articles", 0, 7_000)
        assert write.lines == ["progress: export: near-duplicates 7,000/7,000 (100%), 286/s, done in 7s"]
        clock.now += 1
        shown.update("articles", 5_000, 7_000)
    assert write.lines[1:] == ["progress: export: articles 7,000/7,000 (100%), 7,000/s, done in 1s"]
