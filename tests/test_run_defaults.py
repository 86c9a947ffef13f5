"""`make run` answers on 127.0.0.1 only (unless HOST says otherwise)."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _make_n(*args: str) -> str:
    out = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return next(line for line in out.stdout.splitlines() if "apps/serve.py" in line)


def test_make_run_uses_the_local_address_unless_host_is_given() -> None:
    cmd = _make_n()
    assert "--server.address" not in cmd  # taken from .streamlit/config.toml
    cfg = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert cfg["server"]["address"] == "127.0.0.1"
    assert "--server.address 0.0.0.0" in _make_n("HOST=0.0.0.0")


def _listening(port: int) -> list[str]:
    """Local addresses of the sockets listening on ``port`` (from /proc/net/tcp*)."""
    found = []
    for name in ("tcp", "tcp6"):
        path = Path("/proc/net") / name
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            parts = line.split()
            addr, st = parts[1], parts[3]
            host, p = addr.rsplit(":", 1)
            if int(p, 16) == port and st == "0A":  # LISTEN
                found.append(host)
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net")
def test_make_run_listens_on_loopback_only(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = _make_n(f"PORT={port}", f"STORE={tmp_path / 'store.sqlite'}")
    env = dict(os.environ, LAGESBILD_STORE=str(tmp_path / "store.sqlite"), LAGESBILD_TILES="none")
    args = shlex.split(cmd.split("LAGESBILD_STORE=", 1)[1].split(" ", 1)[1])
    proc = subprocess.Popen([*args, "--server.headless", "true", "--server.fileWatcherType", "none"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 90
        ok = False
        while time.time() < deadline and not ok:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                    ok = r.read().decode() == "ok"
            except OSError:
                time.sleep(0.5)
        assert ok, "the app did not answer on 127.0.0.1"
        hosts = _listening(port)
        assert hosts and set(hosts) <= {"0100007F", "00000000000000000000000001000000"}, hosts
    finally:
        proc.terminate()
        proc.wait(timeout=30)
