"""scripts/snapshot: every page becomes 1280-pixel-wide PNG pages of at most 2000 pixels, in order, with nothing
fetched from a network. Skips without Chromium locally; under CI=true a missing browser is a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from browser import chromium, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "scripts" / "snapshot"
COLOURS = [(255, 0, 0), (0, 160, 0), (0, 0, 255), (255, 200, 0), (0, 200, 200)]

pytestmark = pytest.mark.browser


def banded_page(path: Path, heights: list[int], extra: str = "") -> None:
    """A page of coloured bands, so where each PNG page starts can be read from its pixels."""
    bands = "".join(f'<div style="height:{h}px;background:rgb{c}"></div>' for h, c in zip(heights, COLOURS))
    path.write_text(f'<!DOCTYPE html><html><body style="margin:0">{bands}{extra}</body></html>', encoding="utf-8")


def run(*args):
    return subprocess.run([sys.executable, str(SNAPSHOT), *map(str, args)], capture_output=True, text=True, cwd=ROOT)


def test_snapshot_cuts_a_page_into_pages_of_2000_pixels(tmp_path):
    chromium()
    sync_playwright()
    build = tmp_path / "build"
    (build / "notebooks").mkdir(parents=True)
    (build / "reports").mkdir()
    banded_page(build / "notebooks" / "long.html", [1500, 1500, 1500])       # 4500 px: 2000 + 2000 + 500
    banded_page(build / "reports" / "short.html", [300])                      # one page of 300 px
    res = run("--build", build)
    assert res.returncode == 0, res.stdout + res.stderr
    snaps = build / "snapshots"
    long_pages = sorted(snaps.glob("notebooks-long-p*.png"))
    assert [p.name for p in long_pages] == [f"notebooks-long-p0{i}.png" for i in (1, 2, 3)]
    sizes = [Image.open(p).size for p in long_pages]
    assert sizes == [(1280, 2000), (1280, 2000), (1280, 500)]
    # the bands change colour at 1500 and 3000 px: page 1 is red then green, page 2 green then blue, page 3 blue
    pixels = [Image.open(p).convert("RGB") for p in long_pages]
    assert pixels[0].getpixel((5, 1490)) == COLOURS[0] and pixels[0].getpixel((5, 1510)) == COLOURS[1]
    assert pixels[1].getpixel((5, 990)) == COLOURS[1] and pixels[1].getpixel((5, 1010)) == COLOURS[2]
    assert pixels[2].getpixel((5, 499)) == COLOURS[2]
    assert [Image.open(p).size for p in snaps.glob("reports-short-p*.png")] == [(1280, 300)]


def test_snapshot_names_what_a_page_tried_to_fetch_and_replaces_old_pages(tmp_path):
    chromium()
    sync_playwright()
    (tmp_path / "site").mkdir()
    page = tmp_path / "site" / "page.html"
    banded_page(page, [2500], extra='<img alt="remote figure" src="https://example.org/figure.png">')
    out = tmp_path / "out"
    out.mkdir()
    (out / "site-page-p07.png").write_bytes(b"an old page from a longer version")
    res = run(page, "--out", out)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "https://example.org/figure.png" in res.stdout and "refused" in res.stdout
    assert "remote figure" in res.stdout                                     # the figure that did not load
    assert sorted(p.name for p in out.glob("*.png")) == ["site-page-p01.png", "site-page-p02.png"]


def test_snapshot_says_what_to_do_when_there_is_nothing_to_look_at(tmp_path):
    res = run("--build", tmp_path)
    assert res.returncode == 2
    assert "make demo" in res.stderr and "Traceback" not in res.stderr
    res = run(tmp_path / "missing.html")
    assert res.returncode == 2 and "missing.html" in res.stderr and "Traceback" not in res.stderr
