"""The deployment files in deploy/ and scrapy.cfg: light checks that need neither systemd nor cron nor scrapyd."""

from __future__ import annotations

import configparser
import importlib
import importlib.util
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def read_unit(name: str) -> configparser.ConfigParser:
    """A systemd unit as INI: keys keep their case, repeated keys are allowed (the last one wins)."""
    parser = configparser.ConfigParser(strict=False, interpolation=None, comment_prefixes=("#", ";"))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"), source=name)
    return parser


def unit_values(name: str, section: str, key: str) -> list[str]:
    """Every value of ``key`` in ``section``, in order (configparser keeps only the last)."""
    values, current = [], None
    for line in (DEPLOY / name).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1]
        elif current == section and "=" in line and not line.startswith(("#", ";")):
            k, _, v = line.partition("=")
            if k.strip() == key:
                values.append(v.strip())
    return values


def cron_lines() -> list[str]:
    text = (DEPLOY / "itp6crawl.cron").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_service_parses_and_runs_the_crawl_as_a_oneshot() -> None:
    unit = read_unit("itp6crawl.service")
    service = unit["Service"]
    assert service["Type"] == "oneshot"
    assert service["User"] == "itp6crawl"
    assert service["WorkingDirectory"] == "/opt/itp6crawl"
    command = shlex.split(service["ExecStart"])
    assert command[0].endswith("/itp6crawl") and command[0].startswith("/")
    assert command[1] == "crawl"
    assert command[command.index("--db") + 1] == "/var/lib/itp6crawl/itp6.db"


def test_service_treats_a_held_lock_as_success_and_stops_gently() -> None:
    service = read_unit("itp6crawl.service")["Service"]
    assert "3" in service["SuccessExitStatus"].split()
    assert service["KillSignal"] == "SIGTERM"
    stop = re.fullmatch(r"(\d+)\s*(s|min)?", service["TimeoutStopSec"])
    assert stop, service["TimeoutStopSec"]
    assert int(stop[1]) * (60 if stop[2] == "min" else 1) >= 60  # the request in flight may take 30 s
    assert service["IOSchedulingClass"] == "idle"


def test_service_is_hardened_but_can_write_its_state_directory() -> None:
    service = read_unit("itp6crawl.service")["Service"]
    assert service["ProtectSystem"] == "strict"
    for option in ("NoNewPrivileges", "PrivateTmp", "ProtectHome"):
        assert service[option] == "yes", option
    writable = " ".join(unit_values("itp6crawl.service", "Service", "ReadWritePaths")).split()
    assert "/var/lib/itp6crawl" in writable or service.get("StateDirectory") == "itp6crawl"
    # The archive's folder must be writable: ExecStart's --db lives under it.
    db = shlex.split(service["ExecStart"])[-1]
    assert any(db.startswith(path.lstrip("-") + "/") for path in writable)


def test_timer_is_daily_persistent_and_randomised() -> None:
    timer = read_unit("itp6crawl.timer")
    assert timer["Timer"]["Persistent"] == "true"
    assert timer["Timer"]["OnCalendar"].strip()
    assert timer["Timer"]["RandomizedDelaySec"].strip()
    assert timer["Timer"].get("Unit", "itp6crawl.service") == "itp6crawl.service"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_cron_is_one_line_with_five_time_fields_that_runs_the_crawl() -> None:
    lines = cron_lines()
    assert len(lines) == 1, lines
    fields = lines[0].split(None, 5)
    assert len(fields) == 6
    time_fields, command = fields[:5], fields[5]
    field = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\*|\d+(-\d+)?)(/\d+)?)*$")
    assert all(field.match(f) for f in time_fields), time_fields
    cd, _, rest = command.partition(" && ")
    assert cd.split()[0] == "cd" and cd.split()[1].startswith("/"), cd
    run = shlex.split(re.split(r"[;|]|>>|2>&1", rest)[0])  # the command before redirections
    assert run[0].endswith("bin/itp6crawl") and run[1] == "crawl", run
    assert ">>" in command  # appends to a log
    assert "flock" not in command  # the crawl locks the archive itself


def test_readme_documents_every_exit_status() -> None:
    text = (DEPLOY / "README.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\|\s*([0-9])\s*\|\s*(.+?)\s*\|", text, flags=re.MULTILINE))
    assert set(rows) >= {"0", "1", "2", "3", "4"}, rows
    assert "lock" in rows["3"] and "interrupt" in rows["4"]
    for section in ("## systemd", "## cron", "## scrapyd"):
        assert section in text
    assert "itp6crawl runs" in text and "journalctl -u itp6crawl" in text


def scrapy_cfg() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.read(ROOT / "scrapy.cfg", encoding="utf-8")
    return parser


def test_scrapy_cfg_deploys_the_project() -> None:
    cfg = scrapy_cfg()
    assert cfg.has_section("deploy")  # unnamed: scrapyd-deploy's target `default`
    assert cfg["deploy"]["project"] == "itp6crawl"
    assert cfg["deploy"]["url"].startswith("http")


def test_scrapy_cfg_settings_module_is_importable() -> None:
    module = scrapy_cfg()["settings"]["default"]
    assert module == "itp6crawl.settings"
    settings = importlib.import_module(module)
    assert settings.BOT_NAME and "itp6crawl.spiders" in settings.SPIDER_MODULES


def test_scrapyd_egg_setup_declares_the_settings_entry_point_and_package_data() -> None:
    spec = importlib.util.spec_from_file_location("build_scrapyd_egg", DEPLOY / "build_scrapyd_egg.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    setup_py = module.setup_py(ROOT)
    compile(setup_py, "setup.py", "exec")
    assert '"scrapy": ["settings = itp6crawl.settings"]' in setup_py
    assert "data/*.txt" in setup_py
    assert "name='itp6crawl'" in setup_py
