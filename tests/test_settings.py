"""The crawl's defaults (settings.py): the User-Agent names the project's URL, the one in pyproject."""

from __future__ import annotations

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
