"""How problems are told: missing translations counted per file and language, everything else line by line."""

from __future__ import annotations

from sitegen.errors import Severity, SiteError
from sitegen.problem_report import report_lines


def missing(path: str, line: int, lang: str) -> SiteError:
    message = f"no '{lang}' translation; the en text is used"
    return SiteError(path, line, 5, "label", message, Severity.WARNING, untranslated=lang)


def test_missing_translations_of_one_file_and_language_become_one_line() -> None:
    problems = [missing("surveys/a.yaml", line, "lv") for line in range(1, 13)]
    problems += [missing("surveys/a.yaml", line, "ru") for line in range(1, 3)]
    assert report_lines(problems) == [
        "warning: 12 texts in surveys/a.yaml have no lv translation",
        "warning: 2 texts in surveys/a.yaml have no ru translation",
        "(--verbose lists each missing translation; 'sitegen translations export --lang LANG' writes them out for a "
        "translator)",
    ]


def test_verbose_gives_every_problem_its_line_in_file_order() -> None:
    problems = [missing("b.yaml", 3, "lv"), missing("a.yaml", 9, "lv"), missing("a.yaml", 2, "lv")]
    assert report_lines(problems, verbose=True) == [
        "a.yaml:2:5: warning: label: no 'lv' translation; the en text is used",
        "a.yaml:9:5: warning: label: no 'lv' translation; the en text is used",
        "b.yaml:3:5: warning: label: no 'lv' translation; the en text is used",
    ]


def test_a_lone_missing_text_and_other_problems_keep_their_own_lines() -> None:
    error = SiteError("a.yaml", 4, 1, "id", "duplicate id 'x'")
    lone = missing("b.yaml", 3, "ru")
    assert report_lines([lone, error]) == [str(error), str(lone)]
