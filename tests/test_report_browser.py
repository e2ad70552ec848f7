"""The report in a real browser: headless Chromium loads the page from disk with no console
message at all (the page has no script, so any message is an error or a blocked request)
and takes a screenshot (in the test's temporary folder, or in $TRACEHOUSE_TEST_ARTIFACTS when
set, to look at) that is a non-blank image of the window.
At a 1280 px window the page does not scroll sideways, nor does any of its tables, and the
text a reader sees puts the singular after a count of one."""

from __future__ import annotations

import html as html_lib
import json
import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.test_report import (  # noqa: F401
    SINGULAR_AFTER_ONE,
    hostile_report,
    html,
    marts,
    one_conversation_report,
    report,
    warehouse,
)

pytestmark = pytest.mark.browser

ARTIFACTS_ENV = "TRACEHOUSE_TEST_ARTIFACTS"
WIDTH, HEIGHT = 1280, 2000
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium not installed (`make browser` installs Debian's chromium)")


def screenshot(page: Path, png: Path, profile: Path) -> list[str]:
    """Load `page` from disk, write the screenshot; return the console lines Chromium logged."""
    png.parent.mkdir(parents=True, exist_ok=True)
    png.unlink(missing_ok=True)
    result = subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--screenshot={png}",
            f"--window-size={WIDTH},{HEIGHT}",
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert png.exists(), f"no screenshot; chromium exited {result.returncode}\n{result.stderr}"
    return [line for line in result.stderr.splitlines() if ":CONSOLE" in line]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_rows(data: bytes) -> tuple[int, list[bytes]]:
    """Bytes per pixel and the raw (still filtered) scanlines of an 8-bit RGB(A) PNG."""
    width, height = png_size(data)
    bit_depth, colour_type = data[24], data[25]
    assert bit_depth == 8 and colour_type in (2, 6), (bit_depth, colour_type)
    channels = 3 if colour_type == 2 else 4
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            chunks.append(data[position + 8 : position + 8 + length])
        position += 12 + length
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels + 1
    return channels, [raw[i * stride : (i + 1) * stride] for i in range(height)]


def non_blank_share(data: bytes) -> float:
    """Share of scanlines that are not one flat colour (unfiltered bytes not all equal).

    A flat line encodes, under every PNG filter, as a run of identical bytes after the
    first pixel, so a blank page gives (almost) no varied line."""
    channels, lines = png_rows(data)
    varied = sum(1 for line in lines if len(set(line[1 + channels :])) > 1)
    return varied / len(lines)


def artifacts(tmp_path: Path) -> Path:
    """Where screenshots go: $TRACEHOUSE_TEST_ARTIFACTS to keep them, else the test's folder."""
    kept = os.environ.get(ARTIFACTS_ENV)
    folder = Path(kept) if kept else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check_page(page: Path, name: str, tmp_path: Path) -> bytes:
    png = artifacts(tmp_path) / f"{name}.png"
    console = screenshot(page, png, tmp_path / f"profile-{name}")
    assert console == [], "console messages:\n" + "\n".join(console)
    data = png.read_bytes()
    assert png_size(data) == (WIDTH, HEIGHT)
    assert non_blank_share(data) > 0.2, "the screenshot is (nearly) blank"
    return data


def test_the_report_loads_in_chromium_without_console_errors(report, tmp_path):  # noqa: F811
    check_page(report, "report", tmp_path)
    shutil.copy(report, artifacts(tmp_path) / "report.html")


def test_hostile_content_runs_no_script_in_chromium(hostile_report, tmp_path):  # noqa: F811
    page = tmp_path / "hostile.html"
    page.write_text(hostile_report, encoding="utf-8")
    check_page(page, "report-hostile", tmp_path)


# Added to a copy of the page, whose own policy allows no script: what a reader gets at the
# window's width, written into the DOM that --dump-dom prints.
MEASURE = """<script>
const boxes = [...document.querySelectorAll(".table-wrap")];
document.body.setAttribute("data-layout", JSON.stringify({
  width: document.documentElement.scrollWidth,
  viewport: document.documentElement.clientWidth,
  overflowing: boxes.filter(box => box.scrollWidth > box.clientWidth)
    .map(box => box.querySelector("table").id || box.innerText.slice(0, 40)),
  text: document.body.innerText,
}));
</script>"""


def layout(page: Path, tmp_path: Path) -> dict:
    """The page laid out in Chromium at WIDTH px: its document width, the table boxes wider
    than their column, and its visible text."""
    text = page.read_text(encoding="utf-8")
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", text, count=1)
    copy = tmp_path / f"measured-{page.name}"
    copy.write_text(text.replace("</body>", MEASURE + "</body>", 1), encoding="utf-8")
    result = subprocess.run(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={tmp_path / 'profile-layout'}",
            f"--window-size={WIDTH},{HEIGHT}",
            "--dump-dom",
            copy.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = re.search(r'data-layout="([^"]*)"', result.stdout)
    assert found, f"no layout; chromium exited {result.returncode}\n{result.stderr[-2000:]}"
    return json.loads(html_lib.unescape(found.group(1)))


def test_the_report_does_not_scroll_sideways_at_1280_px(report, tmp_path):  # noqa: F811
    measured = layout(report, tmp_path)
    assert measured["viewport"] == WIDTH
    assert measured["width"] <= WIDTH, measured["width"]
    assert measured["overflowing"] == []


def test_one_conversation_reads_in_the_singular_in_chromium(
    one_conversation_report,  # noqa: F811
    tmp_path,
):
    measured = layout(one_conversation_report, tmp_path)
    text = measured["text"]
    assert "Covers 1 conversation (5 messages, 1 tool call)" in text
    assert not SINGULAR_AFTER_ONE.search(text), SINGULAR_AFTER_ONE.search(text).group(0)
    assert "(UTC)." in text
    assert measured["width"] <= WIDTH


def test_the_console_check_sees_errors(tmp_path):
    """The check itself works: a page with a failing script and a blocked image is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="img-src data:">'
        '<img src="https://example.invalid/x.png"><script>undefinedFunction()</script>'
        "<p>bad</p>",
        encoding="utf-8",
    )
    console = screenshot(page, tmp_path / "bad.png", tmp_path / "profile-bad")
    assert any("undefinedFunction" in line for line in console)
    assert any("Content Security Policy" in line for line in console)
