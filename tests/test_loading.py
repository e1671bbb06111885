"""Loading: YAML to plain values with the line and column of every value, and syntax errors as advice."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from sitegen.loading import Position, parse_markdown_file, parse_yaml

SURVEY = """\
id: after-visit
questions:
  - id: recommend
    label: {en: Recommend us}
  - id: improve
    show_if: {question: recommend, lt: 9}
"""


def errors_of(text: str, path: str = "surveys/s.yaml") -> list[str]:
    return [str(error) for error in parse_yaml(text, path).errors]


# Positions


def test_nested_values_know_their_line_and_column() -> None:
    tree = parse_yaml(SURVEY, "s.yaml").tree
    assert tree.locate(("questions", 1, "show_if", "lt")) == Position(6, 40)
    assert tree.locate(("questions", 0, "label", "en")) == Position(4, 17)
    assert tree.locate(("questions",)) == Position(3, 3)


def test_a_key_can_be_located_where_it_is_spelled() -> None:
    tree = parse_yaml(SURVEY, "s.yaml").tree
    assert tree.locate(("questions", 1, "show_if"), at_key=True) == Position(6, 5)
    assert tree.locate(("questions", 1, "show_if")) == Position(6, 14)


def test_a_path_that_does_not_exist_points_at_its_deepest_existing_parent() -> None:
    tree = parse_yaml(SURVEY, "s.yaml").tree
    assert tree.locate(("questions", 1, "choices", 0, "id")) == Position(5, 5)


def test_values_come_out_as_plain_python() -> None:
    document = parse_yaml(SURVEY, "s.yaml")
    assert document.errors == []
    assert document.value["questions"][1] == {"id": "improve", "show_if": {"question": "recommend", "lt": 9}}


# YAML 1.2 scalars


@pytest.mark.parametrize("word", ["No", "no", "yes", "Yes", "on", "off", "y", "n"])
def test_yes_and_no_words_stay_text(word: str) -> None:
    assert parse_yaml(f"label: {word}", "s.yaml").value == {"label": word}


@pytest.mark.parametrize(("word", "value"), [("true", True), ("false", False), ("True", True), ("FALSE", False)])
def test_only_true_and_false_are_booleans(word: str, value: bool) -> None:
    assert parse_yaml(f"required: {word}", "s.yaml").value == {"required": value}


def test_dates_and_times_stay_text_for_the_models_to_parse() -> None:
    document = parse_yaml("opens: 2026-05-01\nsent: 2026-05-01 10:00:00\nbad: 2026-13-45", "s.yaml")
    assert document.value == {"opens": "2026-05-01", "sent": "2026-05-01 10:00:00", "bad": "2026-13-45"}


def test_numbers_stay_numbers() -> None:
    assert parse_yaml("points: 5\nmin: 0.5\nmax: -1", "s.yaml").value == {"points": 5, "min": 0.5, "max": -1}


# Front matter


def test_front_matter_lines_count_from_the_top_of_the_file() -> None:
    page = parse_markdown_file("---\ntitle: About\naudience: both\n---\n# About\n", "content/pages/about.md")
    assert page.front_matter is not None
    assert page.front_matter.value == {"title": "About", "audience": "both"}
    assert page.front_matter.tree.locate(("audience",), at_key=True) == Position(3, 1)
    assert page.body == "# About\n"


def test_a_syntax_error_in_front_matter_names_its_line_in_the_file() -> None:
    page = parse_markdown_file("---\ntitle: About\naudience: both: x\n---\nBody\n", "content/pages/about.md")
    assert page.front_matter is not None
    assert [str(error) for error in page.front_matter.errors] == [
        (
            "content/pages/about.md:3:15: ': ' inside a text that is not quoted; put the text in quotes, or check this "
            "line's indentation"
        )
    ]


def test_empty_front_matter_is_reported_as_such() -> None:
    page = parse_markdown_file("---\n---\nBody\n", "content/pages/about.md")
    assert page.front_matter is not None
    assert [str(error) for error in page.front_matter.errors] == [
        "content/pages/about.md:2:1: the front matter is empty"
    ]


def test_a_page_without_front_matter_is_all_body() -> None:
    page = parse_markdown_file("# About\n\n---\n", "content/pages/about.md")
    assert page.front_matter is None
    assert page.body == "# About\n\n---\n"


# Syntax errors, each with the place and the advice an owner needs


QUOTE_ADVICE = (
    "text inside {...} may not contain '?', ': ' or ', ' unless quoted; "
    'put the text in quotes, e.g. {en: "How did we do?"}'
)


def test_a_question_mark_inside_braces_asks_for_quotes() -> None:
    assert errors_of("id: x\ntitle: {lv: Kā mums gāja, en: How did we do?}\n") == [
        f"surveys/s.yaml:2:44: {QUOTE_ADVICE}"
    ]


def test_a_colon_inside_braces_asks_for_quotes() -> None:
    assert errors_of("title: {en: Note: be honest}\n") == [f"surveys/s.yaml:1:17: {QUOTE_ADVICE}"]


def test_a_comma_inside_braces_parses_as_an_empty_translation() -> None:
    """The `, ` trap is valid YAML; the models report it (see test_validation)."""
    document = parse_yaml("label: {en: Tell us, how was it}\n", "s.yaml")
    assert document.errors == []
    assert document.value == {"label": {"en": "Tell us", "how was it": None}}


def test_a_colon_in_plain_text_asks_for_quotes() -> None:
    assert errors_of("id: x\nlabel: Tip: be honest\n") == [
        (
            "surveys/s.yaml:2:11: ': ' inside a text that is not quoted; put the text in quotes, or check this line's "
            "indentation"
        )
    ]


def test_a_tab_in_the_indentation_is_named_at_the_tab() -> None:
    text = "questions:\n  - id: x\n    type: rating\n\tpoints: 5\n"
    assert errors_of(text) == ["surveys/s.yaml:4:1: a tab character: YAML must be indented with spaces, not tabs"]


def test_a_tab_before_a_list_item_is_named_at_the_tab() -> None:
    assert errors_of("values:\n  \t- x\n") == [
        "surveys/s.yaml:2:3: a tab character: YAML must be indented with spaces, not tabs"
    ]


def test_a_duplicate_key_names_the_line_of_the_first() -> None:
    text = "id: x\nquestions:\n  - id: a\n    label: A\n    type: nps\n    label: B\n"
    document = parse_yaml(text, "surveys/s.yaml")
    assert [str(error) for error in document.errors] == [
        "surveys/s.yaml:6:5: label: duplicate key 'label' (first given at line 4)"
    ]
    assert document.value["questions"][0]["label"] == "A"


def test_an_unclosed_list_is_named() -> None:
    assert errors_of("segments: [location, stage\nid: x\n") == [
        "surveys/s.yaml:2:3: a list in [...] is not closed, or an item contains ': ' and must be quoted"
    ]


def test_an_unclosed_quote_points_at_its_opening() -> None:
    assert errors_of('id: x\ntitle: "How did we do?\nintro: x\n') == [
        "surveys/s.yaml:2:8: this quoted text is never closed; end it with the same quote mark it starts with"
    ]


def test_a_line_indented_out_of_step_is_named() -> None:
    assert errors_of("questions:\n  - id: a\n   type: nps\n") == [
        "surveys/s.yaml:3:4: this line is indented differently from the lines above it; "
        "line up the keys of one mapping and the '-' of one list"
    ]


def test_a_second_document_in_one_file_is_named() -> None:
    assert errors_of("id: a\n---\nid: b\n") == [
        (
            "surveys/s.yaml:2:1: a second YAML document; a file holds one, so remove this '---' line or move what "
            "follows it to a new file"
        )
    ]


def test_other_syntax_errors_keep_pyyaml_wording_at_their_place() -> None:
    assert errors_of("id: x\ntitle: @home\n") == [
        "surveys/s.yaml:2:8: invalid YAML: found character '@' that cannot start any token"
    ]


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_an_empty_file_is_an_error(text: str) -> None:
    assert errors_of(text) == ["surveys/s.yaml:1:1: the file is empty"]


@pytest.mark.parametrize(
    ("value", "tag"),
    [("!!int many", "!!int"), ("!!float x", "!!float"), ("!!timestamp soon", "!!timestamp"), ("!python x", "!python")],
)
def test_a_yaml_tag_that_does_not_fit_is_an_error_not_a_crash(value: str, tag: str) -> None:
    assert errors_of(f"id: x\npoints: {value}\n") == [
        f"surveys/s.yaml:2:9: cannot read this value as {tag}; remove the tag (sitegen files need no YAML tags)"
    ]


def test_an_alias_inside_its_own_anchor_is_an_error_not_a_crash() -> None:
    assert errors_of("id: x\nitems: &loop [*loop]\n") == [
        "surveys/s.yaml:2:8: an alias (*name) may not stand inside the value its anchor (&name) marks"
    ]


def test_a_merge_key_needs_a_mapping() -> None:
    assert errors_of("id: x\n<<: 5\n") == [
        "surveys/s.yaml:2:5: a merge key '<<' takes an alias of a mapping, or a list of them"
    ]


def test_anchors_aliases_and_merge_keys_work() -> None:
    document = parse_yaml("base: &base {type: rating, points: 5}\nq:\n  <<: *base\n  id: taste\n", "s.yaml")
    assert document.errors == []
    assert document.value["q"] == {"type": "rating", "points": 5, "id": "taste"}


def test_a_key_must_be_plain_text() -> None:
    assert errors_of("id: x\n? [a, b]\n: value\n") == ["surveys/s.yaml:2:3: a key must be plain text"]


# Syntax errors in a project, named by the file's path in the project


def test_the_question_mark_trap_in_a_project_file_is_named_by_file_line_and_column(
    minimal_project: Path, problems: Callable[..., list[str]]
) -> None:
    lines = problems(minimal_project, ("surveys/after-visit.yaml", 'en: "How did we do?"}', "en: How did we do?}"))
    assert lines == [f"surveys/after-visit.yaml:2:47: {QUOTE_ADVICE}"]


def test_an_empty_project_file_is_an_error(minimal_project: Path, problems: Callable[..., list[str]]) -> None:
    (minimal_project / "content" / "standards" / "greeting.yaml").write_text("", encoding="utf-8")
    assert problems(minimal_project) == ["content/standards/greeting.yaml:1:1: the file is empty"]


def test_a_file_in_a_legacy_encoding_is_named_at_its_first_foreign_byte(
    minimal_project: Path, problems: Callable[..., list[str]]
) -> None:
    config = minimal_project / "sitegen.yaml"
    config.write_bytes(config.read_text(encoding="utf-8").encode("cp1257"))  # Windows Baltic: ī is 0xee
    assert problems(minimal_project) == [
        "sitegen.yaml:1:19: not UTF-8 text (byte 0xee); save the file with UTF-8 encoding"
    ]


def test_the_column_of_a_foreign_byte_counts_characters_not_bytes(
    minimal_project: Path, problems: Callable[..., list[str]]
) -> None:
    vision = minimal_project / "content" / "vision.yaml"
    vision.write_bytes("statement: {lv: Kafejnīca Saul".encode() + b"\xeete}\n")  # UTF-8, then one cp1257 byte
    assert problems(minimal_project) == [
        "content/vision.yaml:1:31: not UTF-8 text (byte 0xee); save the file with UTF-8 encoding"
    ]


def test_a_byte_order_mark_is_accepted(minimal_project: Path, problems: Callable[..., list[str]]) -> None:
    survey = minimal_project / "surveys" / "after-visit.yaml"
    survey.write_bytes(b"\xef\xbb\xbf" + survey.read_bytes())
    assert problems(minimal_project) == []


def test_positions_after_a_byte_order_mark_are_not_shifted(
    minimal_project: Path, problems: Callable[..., list[str]]
) -> None:
    survey = minimal_project / "surveys" / "after-visit.yaml"
    survey.write_bytes(b"\xef\xbb\xbf" + survey.read_bytes().replace(b"audience: customer", b"audiense: customer"))
    assert "surveys/after-visit.yaml:3:1: audiense: unknown key 'audiense'. Did you mean 'audience'?" in problems(
        minimal_project
    )
