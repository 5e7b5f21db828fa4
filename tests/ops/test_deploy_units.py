"""The deployed gunicorn is the one docs/performance.md describes and measures (issue 25): same
worker class, counts and timeouts; nginx waits longer than gunicorn; systemd lets it finish."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TUNING = ("--worker-class", "--workers", "--threads", "--timeout", "--graceful-timeout", "--keep-alive",
          "--max-requests", "--max-requests-jitter")


def _options(words: list[str]) -> dict[str, str]:
    return {word: words[i + 1] for i, word in enumerate(words[:-1]) if word in TUNING}


def _unit() -> str:
    return (ROOT / "deploy/systemd/care-web.service").read_text()


def _unit_options() -> dict[str, str]:
    exec_start = re.search(r"^ExecStart=(.*?)(?<!\\)$", _unit().replace("\\\n", " "), re.MULTILINE).group(1)
    return _options(shlex.split(exec_start))


def _documented_options() -> dict[str, str]:
    text = (ROOT / "docs/performance.md").read_text()
    command = re.search(r"Gunicorn as deployed: `(gunicorn [^`]+)`", text.replace("\n", " ")).group(1)
    return _options(shlex.split(command))


def test_the_systemd_unit_runs_gunicorn_as_documented():
    documented = _documented_options()
    assert documented["--worker-class"] == "gthread"  # a long download does not starve the heartbeat
    assert _unit_options() == documented
    assert set(documented) == set(TUNING)


def test_nginx_and_systemd_wait_longer_than_gunicorn():
    options = _unit_options()
    nginx = (ROOT / "deploy/nginx/care.conf").read_text()
    read_timeout = int(re.search(r"proxy_read_timeout\s+(\d+)s;", nginx).group(1))
    assert read_timeout > int(options["--timeout"])
    stop = int(re.search(r"^TimeoutStopSec=(\d+)$", _unit(), re.MULTILINE).group(1))
    assert stop >= int(options["--graceful-timeout"])


def test_the_load_test_starts_gunicorn_as_deployed():
    source = (ROOT / "bench/lib/load.py").read_text()
    body = re.search(r"def gunicorn_command\(.*?\n\n\n", source, re.DOTALL).group(0)
    words = re.findall(r'"(--[a-z-]+)",\s*(?:"([^"]+)"|str\((\w+)\))', body)
    options = {flag: literal or f"<{name}>" for flag, literal, name in words if flag in TUNING}
    documented = _documented_options()
    assert options.pop("--workers") == "<workers>" and options.pop("--threads") == "<threads>"
    assert options == {k: v for k, v in documented.items() if k not in ("--workers", "--threads")}
