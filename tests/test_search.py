"""The search index `sitegen build` writes: one per tree and language, the pages readers should find, nothing more."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import shutil
from pathlib import Path
from unittest.mock import ANY

import pytest
from conftest import copy_example_project

from sitegen.build import build_project
from sitegen.interchange import import_responses
from sitegen.render import search
from sitegen.render.search import BUNDLE, SearchIndexFailed
from sitegen.site import load_site
from sitegen.store import ResponseStore

FIXTURE = Path(__file__).parent / "fixtures" / "minimal"
AS_OF = dt.date(2026, 6, 15)
FRAGMENT_SIGNATURE = b"pagefind_dcd"
"""What starts a Pagefind fragment once it is ungzipped; the page's record (JSON) follows."""


def indexed_pages(tree: Path) -> dict[str, dict[str, str]]:
    """The pages of a tree's indexes by address: what Pagefind shows as a result (title, text), and the bundle's
    language."""
    pages = {}
    for bundle in sorted((tree / BUNDLE).iterdir()):
        for fragment in sorted((bundle / "fragment").glob("*.pf_fragment")):
            record = gzip.decompress(fragment.read_bytes())
            assert record.startswith(FRAGMENT_SIGNATURE)
            page = json.loads(record.removeprefix(FRAGMENT_SIGNATURE))
            pages[page["url"]] = {"title": page["meta"]["title"], "content": page["content"], "lang": bundle.name}
    return pages


def languages_listed(bundle: Path) -> dict[str, dict[str, object]]:
    """The languages a bundle's entry file lists, with their page counts."""
    languages: dict[str, dict[str, object]] = json.loads((bundle / "pagefind-entry.json").read_text("utf-8"))[
        "languages"
    ]
    return languages


def folder_digest(directory: Path) -> dict[str, str]:
    return {
        path.relative_to(directory).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def example_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site with its sample responses, so that scorecards show figures."""
    project = copy_example_project(tmp_path_factory.mktemp("search") / "site")
    site = load_site(project)
    with ResponseStore.open(site.config.model.store, project) as store:
        assert not import_responses(site, store, [project / "data/sample-responses.jsonl"]).problems
    build_project(project, as_of=AS_OF)
    return project / "output"


def test_each_tree_has_an_index_in_each_language(example_output: Path) -> None:
    for tree in ("public", "intranet"):
        assert sorted(path.name for path in (example_output / tree / BUNDLE).iterdir()) == ["en", "lv", "ru"]
        pages = indexed_pages(example_output / tree)
        for lang in ("en", "lv", "ru"):
            bundle = example_output / tree / BUNDLE / lang
            assert (bundle / "pagefind.js").is_file()
            count = sum(1 for page in pages.values() if page["lang"] == lang)
            assert languages_listed(bundle) == {lang: {"hash": ANY, "wasm": ANY, "page_count": count}} and count > 0
            assert all(url.startswith(f"/{lang}/") for url, page in pages.items() if page["lang"] == lang)


def test_a_public_page_is_found_by_its_words_in_its_own_language(example_output: Path) -> None:
    pages = indexed_pages(example_output / "public")
    assert pages["/en/pages/about/"]["title"] == "About our quality program"
    assert "Every receipt carries a QR code" in pages["/en/pages/about/"]["content"]
    assert "Klausāmies" in pages["/lv/pages/about/"]["content"]
    assert "Klausāmies" not in pages["/en/pages/about/"]["content"]


def test_the_public_index_holds_no_intranet_text(example_output: Path) -> None:
    """A standard's rule is on the intranet only: its index finds it, the public one has never seen it."""
    bundles = (example_output / "public" / BUNDLE).iterdir()
    public = [path for bundle in bundles for folder in ("fragment", "index") for path in (bundle / folder).iterdir()]
    assert public and not any(b"hesit" in gzip.decompress(path.read_bytes()) for path in public)
    intranet = indexed_pages(example_output / "intranet")
    assert "who hesitates at the menu" in intranet["/en/standards/advice/"]["content"]
    assert not any(url.startswith("/en/standards/") for url in indexed_pages(example_output / "public"))


def test_lists_posters_thank_you_pages_and_location_copies_are_not_indexed(example_output: Path) -> None:
    urls = set(indexed_pages(example_output / "public")) | set(indexed_pages(example_output / "intranet"))
    assert "/en/surveys/after-visit/" in urls and "/en/standards/greeting/" in urls
    unwanted = ("/qr/", "/thanks/", "/at/")
    assert [url for url in urls if any(part in url for part in unwanted)] == []
    lists = {f"/en/{key}/" for key in ("standards", "onboarding", "pages", "surveys", "scorecards")}
    assert urls & lists == set()


def test_a_survey_is_found_by_its_introduction_not_by_its_form(example_output: Path) -> None:
    survey = indexed_pages(example_output / "public")["/en/surveys/after-visit/"]
    assert "The survey takes about two minutes" in survey["content"]
    assert "Send answers" not in survey["content"] and "This survey is closed" not in survey["content"]


def test_scorecard_figures_are_left_out_so_a_refresh_does_not_outdate_the_index(example_output: Path) -> None:
    scorecards = [page for url, page in indexed_pages(example_output / "intranet").items() if "/scorecards/" in url]
    assert len(scorecards) == 3 * 3  # three scorecards in three languages
    assert "n = " in (example_output / "intranet/en/scorecards/customer-experience/index.html").read_text("utf-8")
    for page in scorecards:
        assert not any(furniture in page["content"] for furniture in ("n = ", "By period", "Figures as CSV"))


def test_two_builds_of_the_same_project_write_the_same_index(tmp_path: Path) -> None:
    digests = []
    for name in ("first", "second"):
        project = tmp_path / name
        shutil.copytree(FIXTURE, project)
        build_project(project, as_of=AS_OF)
        digests.append({tree: folder_digest(project / "output" / tree / BUNDLE) for tree in ("public", "intranet")})
    assert digests[0] == digests[1] and digests[0]["public"]


def test_a_failed_index_leaves_the_previous_output_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "minimal"
    shutil.copytree(FIXTURE, project)
    build_project(project, as_of=AS_OF)
    before = folder_digest(project / "output")
    monkeypatch.setattr(search, "get_executable", lambda: Path(shutil.which("false") or "/bin/false"))
    with pytest.raises(
        SearchIndexFailed, match="Pagefind could not index public/lv/; output/ is as it was: exit status 1"
    ):
        build_project(project, as_of=dt.date(2026, 6, 16))
    assert folder_digest(project / "output") == before
    assert [path.name for path in tmp_path.iterdir()] == ["minimal"]  # no staging folder left behind
