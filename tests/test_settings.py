"""The crawl's defaults (settings.py): the User-Agent names the project's URL, the one in pyproject; each
default is declared once, and its readers repeat none."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from itp6crawl import __version__, settings

ROOT = Path(__file__).resolve().parent.parent


def test_the_user_agent_names_the_project_and_its_url_from_pyproject():
    homepage = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["urls"]["Homepage"]
    assert homepage == settings.ITP6_PROJECT_URL
    assert settings.USER_AGENT.startswith(f"itp6crawl/{__version__} (+{homepage}")


def test_limits_are_off_by_default():
    assert settings.ITP6_MAX_ARTICLES == 0 and settings.ITP6_SINCE is None


# -- each default declared once (issue 19) -------------------------------------------------------------

PACKAGE = ROOT / "itp6crawl"
SOURCES = {path: path.read_text(encoding="utf-8") for path in sorted(PACKAGE.rglob("*.py"))}
# A setting read with a second argument (``settings.getfloat("X", 7.0)``): a fallback of the reader's own.
READ_WITH_FALLBACK = re.compile(r"settings\.get\w*\(\s*\"([A-Z0-9_]+)\"\s*,")
# ``settings.get("X") or ...``: a reader's own default, unless X's declared default is None (which the
# reader then gives its meaning, as ITP6_WARC_DIR's None means warc/ beside the archive).
READ_OR_ELSE = re.compile(r"settings\.get\w*\(\s*\"([A-Z0-9_]+)\"\s*\)\s+or\b")


def test_every_itp6_setting_the_package_names_is_declared_in_settings_py():
    named = {name for text in SOURCES.values() for name in re.findall(r"\bITP6_[A-Z0-9_]*[A-Z0-9]\b", text)}
    assert named and named <= {name for name in dir(settings) if name.startswith("ITP6_")}


def test_no_reader_repeats_a_default():
    fallbacks = [
        f"{path.relative_to(ROOT)}: {name}"
        for path, text in SOURCES.items()
        for name in READ_WITH_FALLBACK.findall(text)
    ]
    assert fallbacks == []
    or_else = [
        f"{path.relative_to(ROOT)}: {name}"
        for path, text in SOURCES.items()
        for name in READ_OR_ELSE.findall(text)
        if getattr(settings, name, None) is not None
    ]
    assert or_else == []


def test_the_site_is_written_once():
    """The site's origin is one constant; the settings (and through them the CLI) derive from it."""
    from itp6crawl.urls import CANONICAL_SITE

    assert settings.ITP6_SITE == settings.ITP6_CANONICAL_SITE == CANONICAL_SITE
    quoted = re.compile(rf"[\"']{re.escape(CANONICAL_SITE)}/?[\"']")
    assert [path.name for path, text in SOURCES.items() if quoted.search(text)] == ["urls.py"]


def test_the_cli_takes_its_defaults_from_the_settings():
    from itp6crawl.cli import DEFAULT_DB, main

    def defaults(command: str) -> dict[str, object]:
        return {param.name: param.default for param in main.commands[command].params}

    crawl = defaults("crawl")
    assert crawl["site"] == settings.ITP6_SITE and crawl["log_level"] == settings.LOG_LEVEL
    assert crawl["db"] == defaults("reindex")["db"] == DEFAULT_DB == Path(settings.ITP6_DB)
    for command in ("runs", "stats", "search", "export", "serve"):  # read: the archive default_archive finds
        assert defaults(command)["db"] is None


def test_the_warc_files_lie_beside_the_archive_unless_told_otherwise(tmp_path):
    from itp6crawl.crawl import crawl_settings
    from itp6crawl.warc import warc_dir_of

    assert warc_dir_of(tmp_path / "itp6.db") == tmp_path / "warc" and settings.ITP6_WARC_DIR is None
    assert warc_dir_of("itp6.db") == Path("warc")
    assert crawl_settings(tmp_path / "a.db").getbool("ITP6_WARC") is settings.ITP6_WARC is True


def test_exit_statuses_are_declared_once():
    from itp6crawl import exits

    assert (exits.EXIT_OK, exits.EXIT_FAILED, exits.EXIT_USAGE, exits.EXIT_BUSY, exits.EXIT_INTERRUPTED) == (
        0,
        1,
        2,
        3,
        4,
    )
    declared = re.compile(r"^EXIT_[A-Z]+(?:\s*,\s*EXIT_[A-Z]+)*\s*=\s*\d", re.MULTILINE)  # = 0, not a stat's name
    assert [path.name for path, text in SOURCES.items() if declared.search(text)] == ["exits.py"]
