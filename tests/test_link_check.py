"""`sitegen check --links`: broken links, fragments, QR targets and form actions are found, with their lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner, Result
from conftest import copy_example_project
from starlette.routing import BaseRoute

from sitegen.cli import main
from sitegen.collector.app import collector_routes
from sitegen.link_check import URL_ATTRIBUTES, Deployment, LinkChecker, LinkReport, check_site_links, read_page
from sitegen.site import load_site

AS_OF = dt.date(2026, 6, 1)
DEPLOYMENT = Deployment({"public": "https://saulite.example", "intranet": "https://staff.saulite.example"}, "")

HOME = """<!doctype html>
<html><head><link rel="stylesheet" href="../static/style.css"></head>
<body><a href="#main">Skip</a>
<main id="main"><a href="standards/">Standards</a>
<a href="standards/greeting/#rule">The rule</a>
<a href="https://elsewhere.example/">Elsewhere</a> <a href="mailto:hello@saulite.example">Mail</a></main>
<form method="post" action="/s/after-visit"><button>Send</button></form>
</body></html>
"""
STANDARD = '<!doctype html><html><body><h1 id="rule">Rule</h1><a href="../">Back</a></body></html>'
POSTER = '<!doctype html><html><body>\n<figure>\n<svg class="qr-code"></svg></figure></body></html>'


def built(**pages: str) -> dict[str, bytes]:
    """A small built tree: a home page, a standards index and one standard, plus `pages` (path -> HTML)."""
    files = {
        "public/lv/index.html": HOME,
        "public/lv/standards/index.html": STANDARD,
        "public/lv/standards/greeting/index.html": STANDARD,
        "public/static/style.css": "body {}",
        **pages,
    }
    return {path: content.encode() for path, content in files.items()}


@pytest.fixture(scope="module")
def routes() -> list[BaseRoute]:
    """The collector's real route table, for the minimal project."""
    return collector_routes(load_site(Path(__file__).parent / "fixtures" / "minimal"))


def checked(
    routes: list, files: dict[str, bytes], qr_targets: dict[str, str] | None = None, **options: bool
) -> LinkReport:
    return LinkChecker(files, routes, DEPLOYMENT, **options).check(qr_targets or {})


def broken(report: LinkReport) -> list[str]:
    return [str(problem) for problem in report.broken]


def test_a_site_whose_links_all_resolve_has_none_broken(routes: list[BaseRoute]) -> None:
    report = checked(routes, built())
    assert broken(report) == []
    assert report.pages == 3
    assert report.forms == 1
    assert sorted(reference.address for reference in report.elsewhere) == [
        "https://elsewhere.example/",
        "mailto:hello@saulite.example",
    ]


def test_a_link_to_a_page_not_built_is_broken_at_its_line(routes: list[BaseRoute]) -> None:
    files = built(**{"public/lv/about/index.html": '<html><body>\n\n  <a href="../vision/">Vision</a></body></html>'})
    assert broken(checked(routes, files)) == [
        "output/public/lv/about/index.html:3:3: a href: '../vision/' leads to output/public/lv/vision/index.html, "
        "which is not built"
    ]


def test_a_fragment_no_element_of_its_page_has_is_broken(routes: list[BaseRoute]) -> None:
    files = built(**{"public/lv/about/index.html": '<a href="../standards/greeting/#rules">x</a><a href="#top">y</a>'})
    assert broken(checked(routes, files)) == [
        "output/public/lv/about/index.html:1:1: a href: '../standards/greeting/#rules' #rules: no element of "
        "output/public/lv/standards/greeting/index.html has that id",
        "output/public/lv/about/index.html:1:45: a href: '#top' #top: no element of "
        "output/public/lv/about/index.html has that id",
    ]


def test_a_qr_code_to_a_location_not_built_is_broken_at_its_poster(routes: list[BaseRoute]) -> None:
    poster = "intranet/lv/surveys/after-visit/qr/valmiera/index.html"
    files = built(
        **{poster: POSTER, "public/lv/surveys/after-visit/at/riga-centre/index.html": "<html></html>"},
    )
    report = checked(
        routes,
        files,
        {
            poster: "https://saulite.example/lv/surveys/after-visit/at/valmiera/",
            "public/lv/standards/index.html": "https://saulite.example/lv/surveys/after-visit/at/riga-centre/",
        },
    )
    assert report.qr_codes == 2
    assert broken(report) == [
        f"output/{poster}:3:1: QR code: 'https://saulite.example/lv/surveys/after-visit/at/valmiera/' leads to "
        "output/public/lv/surveys/after-visit/at/valmiera/index.html, which is not built"
    ]


def test_a_qr_code_to_another_host_is_broken_not_listed(routes: list[BaseRoute]) -> None:
    poster = "intranet/lv/surveys/after-visit/qr/jelgava/index.html"
    report = checked(routes, built(**{poster: POSTER}), {poster: "https://saulite.example.org/lv/"})
    assert [reference.attribute for reference in report.elsewhere] == ["a href", "a href"]  # the home page's
    assert broken(report) == [
        f"output/{poster}:3:1: QR code: 'https://saulite.example.org/lv/' leads to another host: "
        "a QR code must lead to a page of this site"
    ]


@pytest.mark.parametrize(
    ("action", "problem"),
    [
        ("/submit/after-visit", "no route of the collector answers /submit/after-visit"),
        ("/s/after-visit/extra", "no route of the collector answers /s/after-visit/extra"),
        ("/healthz", "the collector's route for /healthz does not accept POST"),
        ("../../thanks/", "posts to output/public/thanks/index.html, a static file, which cannot take an answer"),
    ],
)
def test_a_form_posting_where_no_collector_route_takes_a_post_is_broken(
    routes: list[BaseRoute],
    action: str,
    problem: str,
) -> None:
    files = built(
        **{"public/lv/form/index.html": f'<form method="post" action="{action}">', "public/thanks/index.html": ""}
    )
    assert broken(checked(routes, files)) == [
        f"output/public/lv/form/index.html:1:1: form action: '{action}' {problem}"
    ]


def test_a_button_posts_where_its_formaction_says_with_its_forms_method(routes: list[BaseRoute]) -> None:
    form = '<form method="post" action="/s/after-visit"><button formaction="/healthz">x</button></form>'
    page = read_page("public/lv/form/index.html", form + '<button formaction="/healthz" formmethod="get">')
    assert [(reference.address, reference.method) for reference in page.references] == [
        ("/s/after-visit", "POST"),
        ("/healthz", "POST"),
        ("/healthz", "GET"),
    ]
    problems = broken(checked(routes, built(**{"public/lv/form/index.html": form})))
    assert problems == [
        "output/public/lv/form/index.html:1:45: button formaction: '/healthz' the collector's route for /healthz "
        "does not accept POST"
    ]


def test_a_form_posts_to_the_collector_at_its_own_address(routes: list[BaseRoute]) -> None:
    collector = Deployment(DEPLOYMENT.trees, "https://collect.saulite.example")
    form = '<form method="post" action="https://collect.saulite.example/s/after-visit">'
    same_origin = '<form method="post" action="/s/after-visit">'
    files = built(**{"public/lv/form/index.html": form + same_origin})
    report = LinkChecker(files, routes, collector).check({})
    assert [problem.message for problem in report.broken if problem.path == "output/public/lv/form/index.html"] == [
        "'/s/after-visit' posts to the pages' own host, but the collector is at https://collect.saulite.example"
    ]


def test_read_from_disk_a_link_to_a_directory_is_broken(routes: list[BaseRoute]) -> None:
    local_page = '<a href="../index.html">Home</a><a href="../standards/">Standards</a><a href="/lv/">Root</a>'
    report = checked(routes, built(**{"public/lv/about/index.html": local_page}), is_local=True)
    problems = [problem for problem in broken(report) if problem.startswith("output/public/lv/about/")]
    assert problems == [
        "output/public/lv/about/index.html:1:33: a href: '../standards/' names a directory: read from disk, "
        "a browser shows its listing instead of its page",
        "output/public/lv/about/index.html:1:70: a href: '/lv/' starts with '/': read from disk, it names the root "
        "of the file system",
    ]


def test_a_link_from_the_host_root_resolves_under_the_trees_own_address(routes: list[BaseRoute]) -> None:
    deployment = Deployment({"public": "https://saulite.example/feedback"}, "")
    files = built(**{"public/lv/about/index.html": '<a href="/feedback/lv/standards/#rule">x</a><a href="/lv/">y</a>'})
    report = LinkChecker(files, routes, deployment).check({})
    assert broken(report) == [  # the first resolves, to public/lv/standards/index.html#rule
        "output/public/lv/about/index.html:1:45: a href: '/lv/' is neither under the public tree's address "
        "(/feedback/) nor a collector route",
    ]


def test_a_link_out_of_its_tree_is_broken(routes: list[BaseRoute]) -> None:
    files = built(**{"public/lv/about/index.html": '<a href="../../../intranet/lv/">Staff</a>'})
    assert broken(checked(routes, files)) == [
        "output/public/lv/about/index.html:1:1: a href: '../../../intranet/lv/' leads out of the public tree, "
        "which is deployed on its own"
    ]


def test_ids_and_addresses_are_read_with_their_lines() -> None:
    page = read_page("public/lv/index.html", HOME)
    assert {"main"} == page.ids
    assert [(reference.line, reference.attribute, reference.method) for reference in page.references][:2] == [
        (2, "link href", "GET"),
        (3, "a href", "GET"),
    ]
    assert page.references[-1].method == "POST"


def test_the_page_reader_finds_every_address_and_id_an_html5_parser_finds(example_output: Path) -> None:
    pages = sorted(example_output.glob("*/lv/**/*.html"))  # one language: html5lib is slow, the pages alike
    assert len(pages) > 50
    for path in pages:
        html = path.read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html5lib")
        expected = sorted(
            (element.name, attribute, str(element[attribute]))
            for element in soup.find_all(True)
            for attribute in URL_ATTRIBUTES
            if element.has_attr(attribute)
        )
        page = read_page(path.relative_to(example_output).as_posix(), html)
        found = sorted((*reference.attribute.split(" "), reference.address) for reference in page.references)
        assert found == expected, path
        assert page.ids == {str(element["id"]) for element in soup.find_all(id=True)}, path


def test_the_minimal_site_broken_by_a_markdown_link_is_found(minimal_project: Path) -> None:
    page = minimal_project / "content/pages/about.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n[Jobs](../jobs/) and [the rule](#rule)\n", encoding="utf-8")
    report = check_site_links(load_site(minimal_project), AS_OF)
    assert {problem.path for problem in report.broken} == {
        "output/public/lv/pages/about/index.html",
        "output/intranet/lv/pages/about/index.html",
    }
    assert sorted({problem.message for problem in report.broken}) == [
        "'#rule' #rule: no element of output/intranet/lv/pages/about/index.html has that id",
        "'#rule' #rule: no element of output/public/lv/pages/about/index.html has that id",
        "'../jobs/' leads to output/intranet/lv/pages/jobs/index.html, which is not built",
        "'../jobs/' leads to output/public/lv/pages/jobs/index.html, which is not built",
    ]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_check_links_exits_one_on_a_broken_link_and_writes_nothing(minimal_project: Path) -> None:
    page = minimal_project / "content/pages/about.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n[Jobs](../jobs/)\n", encoding="utf-8")
    result = invoke("-C", str(minimal_project), "check", "--links", "--as-of", "2026-06-01")
    assert result.exit_code == 1
    assert "output/public/lv/pages/about/index.html:" in result.stderr
    assert "2 broken" in result.stderr  # the page in both trees
    assert not (minimal_project / "output").exists()


@pytest.mark.parametrize("local", [[], ["--local"]])
def test_the_minimal_site_has_no_broken_link_served_or_read_from_disk(minimal_project: Path, local: list[str]) -> None:
    result = invoke("-C", str(minimal_project), "check", "--links", "--as-of", "2026-06-01", "--verbose", *local)
    assert result.exit_code == 0, result.stderr
    assert "Links OK:" in result.stdout
    assert " 0 broken" in result.stdout


@pytest.mark.parametrize("is_local", [False, True], ids=["served", "from-disk"])
def test_the_example_site_has_no_broken_link_form_or_qr_code(tmp_path: Path, is_local: bool) -> None:
    """From disk too: the consent texts' `/lv/pages/about/` are pages of the survey's tree, linked relative."""
    report = check_site_links(load_site(copy_example_project(tmp_path / "example")), AS_OF, is_local)
    assert [str(problem) for problem in report.broken] == []
    assert report.qr_codes > 0
    assert report.forms > 0
    assert {reference.address.split(":")[0] for reference in report.elsewhere} == {"mailto", "tel"}
