"""`beholder serve` profiles continuously; its API and `beholder profile query` read the store."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.needs_root
BEHOLDER = str(Path(sys.executable).with_name("beholder"))


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_stores_profiles_and_serves_queries(tmp_path, workload_bin):
    port = _port()
    data = tmp_path / "data"
    proc = subprocess.Popen([BEHOLDER, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir",
                             str(data), "--profile-frequency", "99", "--profile-interval", "1s"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    spin = None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v1/status", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        spin = subprocess.Popen([str(workload_bin), "spin", "3000"], stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, text=True)
        assert spin.stdin is not None
        spin.stdin.write("go\n")
        spin.stdin.flush()
        spin.wait(timeout=30)
        time.sleep(2.5)  # at least one harvest after the workload ended
        res = httpx.get(f"{url}/api/v1/profiles", params={"q": "comm=workload", "top": "5"},
                        timeout=30)
        assert res.status_code == 200, res.text
        body = res.json()
        assert body["samples"] > 100, body  # 3 s at 99 Hz
        assert any(row["function"] == "main" for row in body["top"]), body
        folded = httpx.get(f"{url}/api/v1/profiles",
                           params={"q": "comm=workload", "format": "folded"}, timeout=30)
        assert "main" in folded.text
        bad = httpx.get(f"{url}/api/v1/profiles", params={"q": "nolabel"}, timeout=10)
        assert bad.status_code == 400
        status = httpx.get(f"{url}/api/v1/status", timeout=10).json()
        assert status["profiler"]["harvests"] >= 1 and not status["profiler"]["errors"]
    finally:
        if spin is not None and spin.poll() is None:
            spin.kill()
        proc.send_signal(signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
    assert "Traceback" not in err, err
    # the CLI reads the same store after the agent is gone
    q = subprocess.run([BEHOLDER, "profile", "query", "--store", str(data / "profiles.duckdb"),
                        "--comm", "workload", "--top", "5"], capture_output=True, text=True,
                       timeout=120)
    assert q.returncode == 0, q.stderr
    assert "main" in q.stdout
