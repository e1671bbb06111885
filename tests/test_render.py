"""Rendering: pages per tree and language, i18n fallback, overrides, sanitised Markdown."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import html5lib
import pytest
from jinja2 import pass_context
from jinja2.runtime import Context

from sitegen.build import render_site
from sitegen.errors import ProjectInvalid
from sitegen.render import environment as environment_module
from sitegen.render.links import relative_url
from sitegen.render.policy import page_policy
from sitegen.scaffold import create_project
from sitegen.site import load_site


@pytest.fixture
def starter(tmp_path: Path) -> Path:
    """A fresh copy of the project `sitegen new` creates."""
    directory = tmp_path / "site"
    create_project(directory)
    return directory


def rendered(project: Path) -> dict[str, str]:
    return {path: content.decode() for path, content in render_site(load_site(project)).items()}


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_every_page_exists_in_every_language_of_both_trees(starter: Path) -> None:
    files = rendered(starter)
    for lang in ("lv", "ru", "en"):
        for page in ("", "vision/", "standards/", "standards/greeting/", "onboarding/first-month/", "pages/about/"):
            assert f"intranet/{lang}/{page}index.html" in files
        assert f"public/{lang}/index.html" in files
        assert f"public/{lang}/pages/about/index.html" in files  # audience: both
    assert "public/static/style.css" in files and "intranet/static/style.css" in files


def test_standards_and_guides_stay_off_the_public_tree(starter: Path) -> None:
    public = [path for path in rendered(starter) if path.startswith("public/")]
    assert not [path for path in public if "/standards/" in path or "/onboarding/" in path]


def test_html_lang_and_texts_follow_the_page_language(starter: Path) -> None:
    files = rendered(starter)
    russian = files["intranet/ru/standards/greeting/index.html"]
    assert '<html lang="ru">' in russian
    assert "Правило 30/30" in russian
    assert "Почему это важно" in russian  # UI string from the ru catalog
    english = files["intranet/en/standards/greeting/index.html"]
    assert '<html lang="en">' in english and "Why it matters" in english


def test_language_switcher_links_to_the_same_page_in_each_language(starter: Path) -> None:
    page = rendered(starter)["intranet/lv/standards/greeting/index.html"]
    switcher = re.search(r'<nav class="languages".*?</nav>', page, re.DOTALL)
    assert switcher is not None
    links = re.findall(r'href="([^"]+)" hreflang="(\w+)"', switcher.group(0))
    assert links == [("./", "lv"), ("../../../ru/standards/greeting/", "ru"), ("../../../en/standards/greeting/", "en")]
    assert 'aria-current="true">Latviešu' in switcher.group(0)


def test_root_page_links_every_language_and_leaves_the_choice_to_its_script(starter: Path) -> None:
    root = rendered(starter)["public/index.html"]
    assert 'http-equiv="refresh"' not in root  # it would send every visitor to the default language
    assert '<html lang="lv" data-default-language="lv">' in root
    assert '<script src="static/language.js" defer></script>' in root
    for lang in ("lv", "ru", "en"):
        assert f'<a href="{lang}/" hreflang="{lang}" lang="{lang}">' in root


def test_missing_translation_falls_back_to_the_default_language(starter: Path) -> None:
    replace_in(starter / "content/standards/greeting.yaml", ", en: The 30/30 rule}", "}")
    site = load_site(starter)
    assert any(w.field == "title" and "no 'en' translation" in w.message for w in site.warnings)
    english = rendered(starter)["intranet/en/standards/greeting/index.html"]
    assert "<h1>Noteikums 30/30</h1>" in english


def test_page_body_translation_falls_back_to_the_default_language(starter: Path) -> None:
    (starter / "content/pages/about.ru.md").unlink()
    russian = rendered(starter)["intranet/ru/pages/about/index.html"]
    assert "Šī vietne apkopo" in russian


def test_owner_markdown_is_rendered_and_stripped_of_scripts(starter: Path) -> None:
    body = '**Bold** [link](https://example.com)\n\n<script>alert(1)</script>\n\n<a href="#" onclick="steal()">x</a>\n'
    (starter / "content/pages/about.en.md").write_text(body, encoding="utf-8")
    page = rendered(starter)["intranet/en/pages/about/index.html"]
    assert "<strong>Bold</strong>" in page
    assert '<a href="https://example.com"' in page
    assert "<script>alert" not in page and "onclick" not in page


def test_plain_yaml_text_is_escaped(starter: Path) -> None:
    replace_in(starter / "content/standards/greeting.yaml", "en: The 30/30 rule", 'en: "<b>30/30</b> & more"')
    page = rendered(starter)["intranet/en/standards/greeting/index.html"]
    assert "&lt;b&gt;30/30&lt;/b&gt; &amp; more" in page


def test_project_template_overrides_the_theme_file_by_file(starter: Path) -> None:
    (starter / "templates/_footer.html").write_text(
        '<footer class="site-footer">Call us: 123</footer>\n', encoding="utf-8"
    )
    files = rendered(starter)
    assert "Call us: 123" in files["intranet/lv/index.html"]
    assert "Why it matters" in files["intranet/en/standards/greeting/index.html"]  # the rest is still the theme


def test_override_can_extend_the_builtin_template(starter: Path) -> None:
    (starter / "templates/standard.html").write_text(
        '{% extends "!theme/standard.html" %}{% block title %}Standard: {{ super() }}{% endblock %}\n', encoding="utf-8"
    )
    page = rendered(starter)["intranet/en/standards/greeting/index.html"]
    assert "<title>Standard: The 30/30 rule · Our service</title>" in page
    assert "Greet every customer within 30 seconds" in page


def test_project_static_files_replace_and_add_to_the_theme(starter: Path) -> None:
    (starter / "templates/static").mkdir()
    (starter / "templates/static/style.css").write_text("body { color: red; }\n", encoding="utf-8")
    (starter / "templates/static/logo.svg").write_text("<svg/>", encoding="utf-8")
    files = rendered(starter)
    assert files["public/static/style.css"] == "body { color: red; }\n"
    assert files["intranet/static/logo.svg"] == "<svg/>"


def test_template_syntax_error_names_the_template_line(starter: Path) -> None:
    (starter / "templates/page.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}\n{% if %}\n{% endblock %}\n", encoding="utf-8"
    )
    with pytest.raises(ProjectInvalid) as raised:
        rendered(starter)
    assert str(raised.value.errors[0]).startswith("templates/page.html:3:1: template error:")


def test_undefined_variable_in_a_template_is_an_error_not_an_empty_string(starter: Path) -> None:
    (starter / "templates/page.html").write_text(
        "{% extends 'base.html' %}\n{% block content %}\n\n{{ no_such_value }}\n{% endblock %}\n", encoding="utf-8"
    )
    with pytest.raises(ProjectInvalid) as raised:
        rendered(starter)
    assert str(raised.value.errors[0]) == "templates/page.html:4:1: template error: 'no_such_value' is undefined"


def test_pages_parse_as_html5_without_errors(starter: Path) -> None:
    parser = html5lib.HTMLParser(strict=True)
    for path, content in rendered(starter).items():
        if path.endswith(".html"):
            parser.parse(content)


def test_no_page_refers_to_another_host(starter: Path) -> None:
    for path, content in rendered(starter).items():
        if path.endswith((".html", ".css")):
            assert not re.search(r'(?:src|href)="(?:https?:)?//', content), path
            assert "@import" not in content and "url(http" not in content


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("lv/index.html", "lv/", "./"),
        ("lv/index.html", "lv/vision/", "vision/"),
        ("lv/standards/greeting/index.html", "lv/standards/", "../"),
        ("lv/standards/greeting/index.html", "static/style.css", "../../../static/style.css"),
        ("index.html", "en/", "en/"),
    ],
)
def test_relative_url(source: str, target: str, expected: str) -> None:
    assert relative_url(source, target) == expected


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("lv/index.html", "lv/", "index.html"),
        ("lv/index.html", "lv/vision/", "vision/index.html"),
        ("lv/standards/greeting/index.html", "lv/standards/", "../index.html"),
        ("lv/standards/index.html", "lv/scorecards/team/#metric-nps", "../scorecards/team/index.html#metric-nps"),
        ("lv/standards/greeting/index.html", "static/style.css", "../../../static/style.css"),
        ("index.html", "", "index.html"),
    ],
)
def test_a_local_link_names_the_index_file_a_browser_opens_from_disk(source: str, target: str, expected: str) -> None:
    assert relative_url(source, target, is_local=True) == expected


def test_a_served_link_keeps_its_fragment_after_the_directory() -> None:
    assert relative_url("lv/standards/greeting/index.html", "lv/scorecards/team/#metric-nps") == (
        "../../scorecards/team/#metric-nps"
    )


class _PolicyAudit(HTMLParser):
    """What a page's policy has to allow: its CSP meta tags, inline scripts and styles, style= attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.policies: list[str] = []
        self.first_in_head: str | None = None
        self.inline: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "head":
            self._in_head = True
        elif self._in_head and self.first_in_head is None and "charset" not in attributes:
            self.first_in_head = attributes.get("http-equiv") or tag
        if tag == "meta" and attributes.get("http-equiv") == "Content-Security-Policy":
            self.policies.append(attributes.get("content") or "")
        if "style" in attributes or any(name.startswith("on") for name in attributes):
            self.inline.append(f"<{tag} {attrs}>")
        if tag == "style" or (tag == "script" and "src" not in attributes):
            self.inline.append(f"<{tag}>")


def test_every_built_page_carries_one_policy_first_and_needs_no_inline_code(example_output: Path) -> None:
    policy = page_policy(load_site(example_output.parent).config.model)
    pages = sorted(example_output.rglob("*.html"))
    assert len(pages) > 100
    for page in pages:
        audit = _PolicyAudit()
        audit.feed(page.read_text(encoding="utf-8"))
        assert audit.policies == [policy], page
        assert audit.first_in_head == "Content-Security-Policy", page  # before anything it governs
        assert audit.inline == [], page
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy  # only 'wasm-unsafe-eval', for search


@pytest.mark.parametrize(
    ("collector_url", "answers_to"),
    [
        (None, "'self'"),
        ("https://collect.example.com/s/", "'self' https://collect.example.com"),
        ("https://collect.example.com:8443", "'self' https://collect.example.com:8443"),
        ("http://127.0.0.1:8001/s/", "'self' http://127.0.0.1:8001"),
    ],
)
def test_forms_and_the_survey_script_may_reach_only_the_site_and_its_collector(
    starter: Path, collector_url: str | None, answers_to: str
) -> None:
    if collector_url:
        replace_in(starter / "sitegen.yaml", "base_url:", f"collector_url: {collector_url}\nbase_url:")
    policy = page_policy(load_site(starter).config.model)
    assert policy == (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self' 'wasm-unsafe-eval'; "
        f"form-action {answers_to}; connect-src {answers_to}; base-uri 'none'; object-src 'none'"
    )
    audit = _PolicyAudit()
    audit.feed(rendered(starter)["public/en/surveys/after-visit/index.html"])
    assert audit.policies == [policy]


def test_an_exception_raised_through_the_theme_alone_is_a_bug_and_keeps_its_traceback(
    starter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(context: Context, text: object) -> str:
        raise RuntimeError("a bug in sitegen")

    monkeypatch.setattr(environment_module, "localise", pass_context(broken))
    with pytest.raises(RuntimeError, match="a bug in sitegen"):
        rendered(starter)
