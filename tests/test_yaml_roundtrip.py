"""Translations added to YAML text in place: only the edited texts' lines change, or the edit is refused."""

from __future__ import annotations

import pytest

from sitegen.yaml_roundtrip import Addition, EditRefused, add_translations


def test_a_plain_text_becomes_a_mapping_on_its_own_line() -> None:
    text = "id: greeting\ntitle: Saulīte   # the name\nrule: {en: Greet}\n"
    edited = add_translations(text, [Addition(("title",), "ru", "Саулите", "lv")])
    assert edited == "id: greeting\ntitle: {lv: Saulīte, ru: Саулите} # the name\nrule: {en: Greet}\n"


def test_a_text_pyyaml_refuses_unquoted_inside_braces_is_quoted() -> None:
    edited = add_translations("label: {en: Why}\n", [Addition(("label",), "lv", "Kāpēc? Tāpēc, ka", "en")])
    assert edited == 'label: {en: Why, lv: "Kāpēc? Tāpēc, ka"}\n'


def test_a_text_of_several_lines_in_a_block_mapping_is_a_literal_block() -> None:
    text = "why:\n  en: One\n"
    edited = add_translations(text, [Addition(("why",), "lv", "Viens\nDivi", "en")])
    assert edited == "why:\n  en: One\n  lv: |-\n    Viens\n    Divi\n"


def test_an_edit_that_would_rewrite_another_line_is_refused() -> None:
    # ruamel.yaml writes a plain `...` (a document end marker) quoted, which would change line 1.
    text = "statement: {lv: ..., en: Helpful}\nvalues:\n  - {en: Honest advice}\n"
    with pytest.raises(EditRefused, match="would rewrite line 1"):
        add_translations(text, [Addition(("values", 0), "lv", "Godīgs padoms", "en")])


def test_front_matter_is_edited_and_the_markdown_body_left_alone() -> None:
    page = "---\ntitle: {lv: Par mums}\n---\n# Par mums\n\ntitle: {lv: not front matter}\n"
    edited = add_translations(page, [Addition(("title",), "en", "About us", "lv")], is_markdown=True)
    assert edited == page.replace("{lv: Par mums}", "{lv: Par mums, en: About us}", 1)
