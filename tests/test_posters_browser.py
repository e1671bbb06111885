"""QR posters printed to PDF in Chromium: one sheet of the right paper, a code large enough to scan from a metre."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

POINTS_PER_MM = 72 / 25.4
PX_PER_CM = 96 / 2.54

# Paper (width, height) in mm, and the least width of the printed code with its quiet zone, in cm.
PAPERS = {"": ((210, 297), 12.0), "a6/": ((105, 148), 5.0)}


@pytest.fixture
def intranet(example_output: Path, serve_directory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    yield serve_directory(example_output / "intranet")


def sheets(pdf: bytes) -> list[tuple[float, float]]:
    """The (width, height) in mm of each page of a PDF Chromium printed (its page objects are not compressed)."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert len(boxes) == len(re.findall(rb"/Type\s*/Page\b", pdf))
    return [(float(width) / POINTS_PER_MM, float(height) / POINTS_PER_MM) for width, height in boxes]


@pytest.mark.parametrize("paper", list(PAPERS), ids=["a4", "a6"])
@pytest.mark.parametrize("lang", ["lv", "ru", "en"])
def test_a_poster_prints_on_one_sheet_of_its_paper_with_a_code_that_scans_from_a_metre(
    browser_page: Any, intranet: str, lang: str, paper: str, tmp_path: Path
) -> None:
    (width, height), least_code_cm = PAPERS[paper]
    browser_page.goto(f"{intranet}{lang}/surveys/after-visit/qr/riga-mall/{paper}")
    [sheet] = sheets(browser_page.pdf(prefer_css_page_size=True, print_background=True))
    assert sheet == (pytest.approx(width, abs=0.5), pytest.approx(height, abs=0.5))
    browser_page.emulate_media(media="print")
    code = browser_page.locator("svg.qr-code").bounding_box()
    assert code["width"] / PX_PER_CM >= least_code_cm
    assert code["width"] == pytest.approx(code["height"], abs=1)
    page_width = browser_page.evaluate("document.documentElement.clientWidth")
    assert code["x"] + code["width"] / 2 == pytest.approx(page_width / 2, abs=2)  # centred
    for shown in (".poster-site", ".poster h1", ".poster-incentive", ".qr-link"):
        assert browser_page.locator(shown).is_visible()
    for hidden in (".site-header", ".poster-tools", ".site-footer"):
        assert not browser_page.locator(hidden).is_visible()
    browser_page.screenshot(path=str(tmp_path / f"poster-{lang}-{paper.strip('/') or 'a4'}.png"), full_page=True)
