"""Headless Chromium loads the flame graphs: no JS errors, clicking zooms, search matches."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from profile_fixtures import build

from beholder.profiles.render import diff_html, html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium not installed (apt-get install chromium)"
)

# Installed before the page's own script: collects uncaught errors.
ERRORS = (
    "<script>window.__errors=[];"
    'window.addEventListener("error",function(e){window.__errors.push(String(e.message))});'
    "</script>"
)

# Runs after the page's script: real MouseEvents on the canvas, state read from the DOM.
# Layout of build(): root "all" (103 samples) > main > compute (x 0..80) > helper (0..20),
# hot_loop (20..80); rows are 18px. So hot_loop's centre is at 50/103 of the width, row 3.
PROBE = """<script>
(function () {
  var out = {}, c = document.getElementById("flame");
  function click(fx, row) {
    var r = c.getBoundingClientRect();
    c.dispatchEvent(new MouseEvent("click", {bubbles: true,
      clientX: r.left + r.width * fx, clientY: r.top + row * 18 + 9}));
    return document.body.getAttribute("data-zoom");
  }
  try {
    out.nodes = document.body.getAttribute("data-nodes");
    out.drawnBefore = document.body.getAttribute("data-drawn");
    out.zoomHot = click(50 / 103, 3);
    out.resetDisabledWhileZoomed = document.getElementById("reset").disabled;
    out.drawnZoomed = document.body.getAttribute("data-drawn");
    out.zoomRoot = click(0.5, 0);
    out.zoomCompute = click(0.1, 2);
    document.getElementById("reset").click();
    out.afterReset = document.body.getAttribute("data-zoom");
    var s = document.getElementById("search");
    s.value = "hot_";
    s.dispatchEvent(new Event("input"));
    out.matched = document.body.getAttribute("data-matched");
    out.matchedText = document.getElementById("matched").textContent;
    c.dispatchEvent(new MouseEvent("mousemove", {bubbles: true,
      clientX: c.getBoundingClientRect().left + 5, clientY: c.getBoundingClientRect().top + 3 * 18 + 9}));
    out.tooltip = document.getElementById("tooltip").textContent;
  } catch (e) { out.exception = String(e); }
  out.errors = window.__errors;
  var pre = document.createElement("pre");
  pre.id = "probe-result";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>"""


def run_page(page: str, tmp_path: Path) -> tuple[dict, str]:
    page = page.replace("<head>", "<head>" + ERRORS, 1).replace("</body>", PROBE + "</body>", 1)
    path = tmp_path / "flame.html"
    path.write_text(page, encoding="utf-8")
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,800",
        f"--user-data-dir={tmp_path / 'chrome-profile'}", "--enable-logging=stderr", "--v=0",
        "--dump-dom", path.as_uri(),
    ]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    m = re.search(r'<pre id="probe-result">(.*?)</pre>', res.stdout, re.S)
    assert m, f"probe did not run: {res.stdout[-1000:]} {res.stderr[-2000:]}"
    text = m.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")
    return json.loads(text.replace("&amp;", "&")), res.stderr


def console_errors(stderr: str) -> list[str]:
    return [
        ln for ln in stderr.splitlines() if "CONSOLE" in ln and ("Uncaught" in ln or "Error" in ln)
    ]


def test_flame_graph_in_chromium(tmp_path: Path) -> None:
    out, stderr = run_page(html.render(build()), tmp_path)
    assert out.get("exception") is None, out
    assert out["errors"] == [] and console_errors(stderr) == []
    assert int(out["nodes"]) == 10 and int(out["drawnBefore"]) == 10
    assert out["zoomHot"] == "hot_loop"  # a click on hot_loop zooms into it
    assert out["resetDisabledWhileZoomed"] is False
    assert int(out["drawnZoomed"]) == 4  # all, main, compute (ancestors) + hot_loop
    assert out["zoomRoot"] == ""  # clicking the root zooms back out
    assert out["zoomCompute"] == "compute"
    assert out["afterReset"] == ""
    assert out["matched"] == f"{100 * 60 / 103:.2f}"
    assert "Matched: 58.25%" in out["matchedText"]
    assert "helper" in out["tooltip"] and "20 samples" in out["tooltip"]


def test_diff_flame_graph_in_chromium(tmp_path: Path) -> None:
    # Same shape as build(), so the probe's coordinates hold for the "after" tree too.
    out, stderr = run_page(diff_html.render(build(hot=30), build()), tmp_path)
    assert out.get("exception") is None, out
    assert out["errors"] == [] and console_errors(stderr) == []
    assert out["zoomHot"] == "hot_loop"
    assert "A: " in out["tooltip"] and "B: " in out["tooltip"] and "pp" in out["tooltip"]
