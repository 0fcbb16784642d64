"""Build the egg that scrapyd needs, without writing anything into the checkout.

Why not plain ``scrapyd-deploy``: it writes a ``setup.py`` (and ``build/``) into the checkout and builds the egg
with it, but because ``pyproject.toml`` has a ``[project]`` table setuptools ignores that setup.py's
``entry_points``, so the egg lacks the ``scrapy: settings = itp6crawl.settings`` entry point and scrapyd refuses
it (``addversion.json``: ``AttributeError: 'NoneType' object has no attribute 'module_name'``).

This script copies the package into a temporary directory, writes a setup.py there (metadata read from
pyproject.toml, the settings module from scrapy.cfg's ``[settings] default``, package data included), runs
``setup.py bdist_egg`` with the Python running it (run it with the scrapyd venv's Python: setuptools is a
dependency of scrapyd-client), and copies the egg to OUTPUT. Then deploy it from the checkout with

    scrapyd-deploy default -p itp6crawl --egg OUTPUT

Usage: python deploy/build_scrapyd_egg.py [OUTPUT]   (default: /tmp/itp6crawl-scrapyd.egg)
Standard library only (plus setuptools in the interpreter that runs it).
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SETUP_PY = """\
# Written by deploy/build_scrapyd_egg.py in a temporary copy; never in the checkout.
from setuptools import find_packages, setup

setup(
    name={name!r},
    version={version!r},
    packages=find_packages(include={include!r}),
    package_data={package_data!r},
    install_requires={requires!r},
    entry_points={{"scrapy": ["settings = {settings}"]}},
    zip_safe=False,
)
"""


def setup_py(root: Path = ROOT) -> str:
    """The setup.py text for the project at ``root``."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    tool = pyproject.get("tool", {}).get("setuptools", {})
    cfg = configparser.ConfigParser()
    cfg.read(root / "scrapy.cfg", encoding="utf-8")
    return SETUP_PY.format(
        name=project["name"],
        version=project["version"],
        include=tool.get("packages", {}).get("find", {}).get("include", [project["name"] + "*"]),
        package_data=tool.get("package-data", {}),
        requires=project.get("dependencies", []),
        settings=cfg.get("settings", "default"),
    )


def build_egg(output: Path, root: Path = ROOT) -> Path:
    """Build the egg of the project at ``root`` into ``output``; the checkout is only read."""
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    package = pyproject["project"]["name"]
    with tempfile.TemporaryDirectory(prefix="itp6crawl-egg-") as tmp:
        work = Path(tmp)
        shutil.copytree(root / package, work / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        (work / "setup.py").write_text(setup_py(root), encoding="utf-8")
        subprocess.run(
            [sys.executable, "setup.py", "-q", "bdist_egg", "-d", str(work / "dist")],
            cwd=work,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (egg,) = (work / "dist").glob("*.egg")
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(egg, output)
    return output


def main(argv: list[str]) -> int:
    output = Path(argv[0]) if argv else Path(tempfile.gettempdir()) / "itp6crawl-scrapyd.egg"
    print(build_egg(output.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
