"""`sitegen translations export/import` and the missing-translation summary of check, build and serve."""

from __future__ import annotations

import csv
import difflib
import gc
import io
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po, write_po
from click.testing import CliRunner

from sitegen import untranslated
from sitegen.cli import main
from sitegen.site import load_site
from sitegen.translating import export_translations

WELCOME = "content/standards/welcome.yaml"
WELCOME_TEXT = """\
# yaml-language-server: $schema=../../schemas/standard.schema.json
# The welcome standard, as the owner wrote it.
id: welcome
title: {en: "Welcome: at the door"}        # the name on the card
rule:
  en: >-
    Say hello to every guest
    who comes in.
  lv: Sveicini katru viesi.

why:
  en: 'Guests who are greeted stay longer.'   # from the 2025 survey
do:
  - {en: Smile, lv: Smaidi}
  - en: Look up from the till
dont:
  - {lv: Nerunā pa telefonu, en: "Talk on the phone, ever"}   # never
"""
LATVIAN = {
    "Welcome: at the door": "Laipni lūdzam: pie durvīm",
    "Guests who are greeted stay longer.": "Viesi, kurus sveic, paliek ilgāk.",
    "Look up from the till": "Pacel skatu no kases",
}
RUSSIAN = {
    "Welcome: at the door": "Добро пожаловать: у двери",
    "Sveicini katru viesi.": "Приветствуй каждого гостя.",
    "Guests who are greeted stay longer.": "Гости, которых приветствуют, остаются дольше.",
    "Smaidi": "Улыбайся",
    "Look up from the till": "Отвлекись от кассы",
    "Nerunā pa telefonu": "Не говори по телефону",
}


@pytest.fixture
def untranslated_project(minimal_project: Path) -> Path:
    """The minimal project with Russian added to its languages (so every file lacks ru), and a standard written
    with the layout owners use (a modeline, comments, block and flow texts, a blank line) that lacks some lv."""
    config = minimal_project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("[lv, en]", "[lv, en, ru]"), encoding="utf-8")
    (minimal_project / WELCOME).write_text(WELCOME_TEXT, encoding="utf-8")
    return minimal_project


def sitegen(project: Path, *arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["-C", str(project), *arguments])
    return result.exit_code, result.stdout, result.stderr


def test_check_counts_missing_translations_per_file_and_language(untranslated_project: Path) -> None:
    code, stdout, stderr = sitegen(untranslated_project, "check")
    assert code == 0
    lines = stderr.splitlines()
    assert "warning: 3 texts in content/standards/welcome.yaml have no lv translation" in lines
    assert "warning: 6 texts in content/standards/welcome.yaml have no ru translation" in lines
    assert not any("welcome.yaml:" in line for line in lines)  # no line of its own for any of the nine
    # A file and language with one missing text keeps the warning itself: a count would say no less in no less.
    assert "sitegen.yaml:1:8: warning: title: no 'ru' translation; the lv text is used" in lines
    assert lines[-1].startswith("(--verbose lists each missing translation;")
    assert stdout.endswith("; 0 errors, 44 warnings.\n")  # the total still counts every text


def test_the_counts_are_the_verbose_lines_grouped_by_file_and_language(untranslated_project: Path) -> None:
    full = sitegen(untranslated_project, "check", "--verbose")[2].splitlines()
    assert len(full) == 44
    assert "content/standards/welcome.yaml:4:8: warning: title: no 'lv' translation; the en text is used" in full
    assert "content/standards/welcome.yaml:15:5: warning: do[1]: no 'ru' translation; the en text is used" in full
    groups = Counter(
        (line.split(":", 1)[0], line.split("no '", 1)[1].split("'", 1)[0]) for line in full if "translation" in line
    )
    summary = sitegen(untranslated_project, "check")[2].splitlines()
    expected = [
        f"warning: {n} texts in {path} have no {lang} translation" for (path, lang), n in groups.items() if n > 1
    ]
    assert sorted(line for line in summary if line.startswith("warning: ")) == sorted(expected)


def test_strict_fails_on_missing_translations_and_summarises_them_the_same_way(untranslated_project: Path) -> None:
    code, _, stderr = sitegen(untranslated_project, "check", "--strict")
    lines = stderr.splitlines()
    assert code == 1
    assert "warning: 6 texts in content/standards/welcome.yaml have no ru translation" in lines
    assert lines[-1] == "Stopped: 0 errors, 44 warnings. Nothing was written."
    verbose = sitegen(untranslated_project, "check", "--strict", "--verbose")[2].splitlines()
    assert len(verbose) == 45


def test_build_summarises_too(untranslated_project: Path) -> None:
    code, _, stderr = sitegen(untranslated_project, "build", "--as-of", "2026-06-30")
    assert code == 0
    assert "warning: 3 texts in content/standards/welcome.yaml have no lv translation" in stderr.splitlines()
    assert len(sitegen(untranslated_project, "build", "--as-of", "2026-06-30", "-v")[2].splitlines()) == 44


def test_the_design_example_says_its_sixty_warnings_in_sixteen_lines(tmp_path: Path) -> None:
    project = tmp_path / "design"
    shutil.copytree(Path(__file__).parent / "fixtures" / "design", project)
    code, stdout, stderr = sitegen(project, "check")
    assert (code, stdout.endswith("; 0 errors, 60 warnings.\n")) == (0, True)
    assert "warning: 8 texts in surveys/after-visit.yaml have no lv translation" in stderr.splitlines()
    assert len(stderr.splitlines()) == 16


def test_this_repositorys_site_has_every_translation() -> None:
    code, stdout, stderr = sitegen(Path(__file__).parent.parent, "check")
    assert (code, stderr) == (0, "")
    assert stdout.endswith("; 0 errors, 0 warnings.\n")


def fill_po(path: Path, translations: dict[str, str]) -> None:
    with path.open("rb") as stream:
        catalog = read_po(stream)
    for message in catalog:
        if message.id in translations:
            message.string = translations[message.id]
    with path.open("wb") as stream:
        write_po(stream, catalog)


def fill_csv(path: Path, translations: dict[str, str]) -> None:
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "translation": translations.get(row["source"], "")})


def changed_lines(before: str, after: str) -> list[str]:
    """The lines a diff takes away (-) and adds (+)."""
    return [line for line in difflib.ndiff(before.splitlines(), after.splitlines()) if line.startswith(("- ", "+ "))]


def test_an_exported_po_file_names_each_text_its_field_line_source_and_digest(untranslated_project: Path) -> None:
    code, stdout, _ = sitegen(untranslated_project, "translations", "export", "--lang", "lv")
    assert code == 0
    catalog = read_po(io.StringIO(stdout))
    assert catalog.locale_identifier == "lv"
    entries = {message.context: message for message in catalog if message.id}
    assert sorted(entries) == [f"{WELCOME} do[1]", f"{WELCOME} title", f"{WELCOME} why"]
    title = entries[f"{WELCOME} title"]
    assert (title.id, title.string, title.locations) == ("Welcome: at the door", "", [(WELCOME, 4)])
    assert title.auto_comments[0] == "title"
    assert title.auto_comments[1].startswith("sitegen: from en, digest ")


def test_a_po_round_trip_adds_the_translations_and_changes_no_other_line(untranslated_project: Path) -> None:
    exported = untranslated_project / "lv.po"
    assert sitegen(untranslated_project, "translations", "export", "--lang", "lv", "--output", str(exported))[0] == 0
    fill_po(exported, LATVIAN)
    code, stdout, stderr = sitegen(untranslated_project, "translations", "import", str(exported))
    assert (code, stderr) == (0, "")
    assert stdout.splitlines() == [f"{WELCOME}: 3 translations added", "Added 3 translations to 1 file."]
    after = (untranslated_project / WELCOME).read_text(encoding="utf-8")
    assert changed_lines(WELCOME_TEXT, after) == [
        '- title: {en: "Welcome: at the door"}        # the name on the card',
        '+ title: {en: "Welcome: at the door", lv: "Laipni lūdzam: pie durvīm"} # the name on the card',
        "+   lv: Viesi, kurus sveic, paliek ilgāk.",
        "+     lv: Pacel skatu no kases",
    ]
    assert after.splitlines()[10:13] == [
        "why:",
        "  en: 'Guests who are greeted stay longer.'   # from the 2025 survey",
        "  lv: Viesi, kurus sveic, paliek ilgāk.",
    ]
    summary = sitegen(untranslated_project, "check")[2]
    assert "no lv translation" not in summary  # fewer warnings: Latvian is complete


def test_a_csv_round_trip_keeps_the_blank_line_and_comments_below_the_new_texts(untranslated_project: Path) -> None:
    exported = untranslated_project / "ru.csv"
    assert sitegen(untranslated_project, "translations", "export", "--lang", "ru", "--output", str(exported))[0] == 0
    fill_csv(exported, RUSSIAN)
    code, stdout, _ = sitegen(untranslated_project, "translations", "import", str(exported))
    assert code == 0
    assert stdout.splitlines()[-1] == "Skipped 35 entries without a translation (or marked fuzzy)."
    after = (untranslated_project / WELCOME).read_text(encoding="utf-8")
    assert after == WELCOME_TEXT.replace(
        '{en: "Welcome: at the door"}        # the name',
        '{en: "Welcome: at the door", ru: "Добро пожаловать: у двери"} # the name',
    ).replace(
        "  lv: Sveicini katru viesi.\n\n", "  lv: Sveicini katru viesi.\n  ru: Приветствуй каждого гостя.\n\n"
    ).replace(
        "# from the 2025 survey\n", "# from the 2025 survey\n  ru: Гости, которых приветствуют, остаются дольше.\n"
    ).replace("{en: Smile, lv: Smaidi}", "{en: Smile, lv: Smaidi, ru: Улыбайся}").replace(
        "  - en: Look up from the till\n", "  - en: Look up from the till\n    ru: Отвлекись от кассы\n"
    ).replace('"Talk on the phone, ever"}   # never', '"Talk on the phone, ever", ru: Не говори по телефону} # never')
    assert after.startswith("# yaml-language-server: $schema=../../schemas/standard.schema.json\n")
    assert "6 texts in content/standards/welcome.yaml" not in sitegen(untranslated_project, "check")[2]


def test_a_text_changed_since_the_export_is_refused_and_nothing_is_written(untranslated_project: Path) -> None:
    exported = untranslated_project / "lv.po"
    sitegen(untranslated_project, "translations", "export", "--lang", "lv", "--output", str(exported))
    fill_po(exported, LATVIAN)
    changed = WELCOME_TEXT.replace("en: Look up from the till", "en: Look up from the till and smile")
    (untranslated_project / WELCOME).write_text(changed, encoding="utf-8")
    code, _, stderr = sitegen(untranslated_project, "translations", "import", str(exported))
    assert code == 1
    line = next(number for number, text in enumerate(exported.read_text().splitlines(), 1) if 'do[1]"' in text)
    assert stderr.splitlines() == [
        f"{exported}:{line + 1}:1: {WELCOME}:15:5: do[1]: its en text changed since the export; "
        "export again and translate the new text",
        "Stopped: 1 error, 0 warnings. Nothing was written.",
    ]
    assert (untranslated_project / WELCOME).read_text(encoding="utf-8") == changed  # not the other two either


def test_an_unknown_file_or_field_is_refused(untranslated_project: Path) -> None:
    exported = untranslated_project / "lv.csv"
    sitegen(untranslated_project, "translations", "export", "--lang", "lv", "--output", str(exported))
    fill_csv(exported, LATVIAN)
    text = exported.read_text(encoding="utf-8")
    exported.write_text(
        text.replace(f"{WELCOME},15,do[1]", f"{WELCOME},15,do[7]").replace(f"{WELCOME},4,", "content/wellcome.yaml,4,"),
        encoding="utf-8",
    )
    code, _, stderr = sitegen(untranslated_project, "translations", "import", str(exported))
    assert code == 1
    assert stderr.splitlines() == [
        f"{exported}:2:1: content/wellcome.yaml: no such file with texts in this project. Did you mean '{WELCOME}'?",
        f"{exported}:4:1: {WELCOME}: no text at 'do[7]' (was the file reorganised since the export? export again)",
        "Stopped: 2 errors, 0 warnings. Nothing was written.",
    ]
    assert (untranslated_project / WELCOME).read_text(encoding="utf-8") == WELCOME_TEXT


def test_importing_a_file_twice_adds_nothing_the_second_time(untranslated_project: Path) -> None:
    exported = untranslated_project / "lv.po"
    sitegen(untranslated_project, "translations", "export", "--lang", "lv", "--output", str(exported))
    fill_po(exported, LATVIAN)
    sitegen(untranslated_project, "translations", "import", str(exported))
    once = (untranslated_project / WELCOME).read_text(encoding="utf-8")
    code, stdout, _ = sitegen(untranslated_project, "translations", "import", str(exported))
    assert (code, stdout.splitlines()[-1]) == (0, "Skipped 3 entries already translated so.")
    assert (untranslated_project / WELCOME).read_text(encoding="utf-8") == once


def test_a_cell_a_spreadsheet_would_run_is_neutralised_and_comes_back_as_written(untranslated_project: Path) -> None:
    formula = WELCOME_TEXT.replace("en: Look up from the till", "en: '=1+1 is not a formula'")
    (untranslated_project / WELCOME).write_text(formula, encoding="utf-8")
    exported = untranslated_project / "lv.csv"
    sitegen(untranslated_project, "translations", "export", "--lang", "lv", "--output", str(exported))
    assert ",'=1+1 is not a formula," in exported.read_text(encoding="utf-8")
    fill_csv(exported, {"'=1+1 is not a formula": "'=1+1 nav formula"})
    assert sitegen(untranslated_project, "translations", "import", str(exported))[0] == 0
    assert "    lv: =1+1 nav formula\n" in (untranslated_project / WELCOME).read_text(encoding="utf-8")


def test_a_title_in_page_front_matter_is_translated_in_its_markdown_file(untranslated_project: Path) -> None:
    entries = export_translations(load_site(untranslated_project), "ru")
    assert [entry.field for entry in entries if entry.file == "content/pages/about.md"] == ["title"]
    exported = untranslated_project / "ru.po"
    sitegen(untranslated_project, "translations", "export", "--lang", "ru", "--output", str(exported))
    fill_po(exported, {"Par mums": "О нас"})
    page = untranslated_project / "content/pages/about.md"
    before = page.read_text(encoding="utf-8")
    assert sitegen(untranslated_project, "translations", "import", str(exported))[0] == 0
    assert page.read_text(encoding="utf-8") == before.replace("en: About us}", "en: About us, ru: О нас}")


def test_export_refuses_a_language_the_site_does_not_have(untranslated_project: Path) -> None:
    code, _, stderr = sitegen(untranslated_project, "translations", "export", "--lang", "rus")
    assert code == 1
    assert stderr == "Error: 'rus' is not one of the site's languages (lv, en, ru). Did you mean 'ru'?\n"


def test_a_page_body_goes_out_whole_and_comes_back_as_its_language_file(untranslated_project: Path) -> None:
    exported = untranslated_project / "ru.po"
    sitegen(untranslated_project, "translations", "export", "--lang", "ru", "--output", str(exported))
    with exported.open("rb") as stream:
        body = next(message for message in read_po(stream) if message.context == "content/pages/about.ru.md")
    assert body.id == "Mēs esam maza kafejnīca Rīgā.\n"
    assert body.auto_comments[0] == "the page body: the whole new file"
    fill_po(exported, {body.id: "Мы маленькое кафе в Риге."})
    code, stdout, _ = sitegen(untranslated_project, "translations", "import", str(exported))
    assert code == 0
    assert "content/pages/about.ru.md: 1 translation added" in stdout.splitlines()
    page = untranslated_project / "content/pages/about.ru.md"
    assert page.read_text(encoding="utf-8") == "Мы маленькое кафе в Риге.\n"
    assert "page body" not in sitegen(untranslated_project, "check", "--verbose")[2]


def test_a_page_body_changed_since_the_export_is_refused(untranslated_project: Path) -> None:
    exported = untranslated_project / "ru.csv"
    sitegen(untranslated_project, "translations", "export", "--lang", "ru", "--output", str(exported))
    fill_csv(exported, {"Mēs esam maza kafejnīca Rīgā.\n": "Мы маленькое кафе в Риге."})
    main_file = untranslated_project / "content/pages/about.md"
    main_file.write_text(main_file.read_text(encoding="utf-8") + "Un Jelgavā.\n", encoding="utf-8")
    code, _, stderr = sitegen(untranslated_project, "translations", "import", str(exported))
    assert code == 1
    assert (
        "content/pages/about.ru.md: the lv body of content/pages/about.md changed since the export; export again and "
        "translate the new text"
    ) in stderr
    assert not (untranslated_project / "content/pages/about.ru.md").exists()


def test_serve_summarises_the_warnings_before_it_starts(
    untranslated_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[Path] = []
    monkeypatch.setattr("sitegen.serve.serve", lambda project, host, port, report: started.append(project))
    code, _, stderr = sitegen(untranslated_project, "serve")
    assert (code, started) == (0, [untranslated_project])
    assert "warning: 6 texts in content/standards/welcome.yaml have no ru translation" in stderr.splitlines()
    verbose = sitegen(untranslated_project, "serve", "--verbose")[2]
    assert "content/standards/welcome.yaml:15:5: warning: do[1]: no 'ru' translation; the en text is used" in verbose


def test_a_po_file_sitegen_did_not_write_is_refused_at_its_lines(untranslated_project: Path) -> None:
    foreign = untranslated_project / "theme.po"
    foreign.write_text(
        '# a catalog of some program\nmsgid ""\nmsgstr ""\n"Language: lv\\n"\n\n#: app.py:3\nmsgid "Menu"\n'
        'msgstr "Izvēlne"\n',
        encoding="utf-8",
    )
    code, _, stderr = sitegen(untranslated_project, "translations", "import", str(foreign))
    assert code == 1
    assert stderr.splitlines()[0] == (f"{foreign}:7:1: not an entry sitegen exported (no msgctxt, location or digest)")
    broken = untranslated_project / "broken.po"
    broken.write_text('msgid ""\nmsgstr ""\n"Language: lv\\n"\n\nmsgid "Menu"\nbogus "x"\n', encoding="utf-8")
    code, _, stderr = sitegen(untranslated_project, "translations", "import", str(broken))
    assert code == 1
    assert stderr.splitlines()[0] == f"{broken}:6:1: not a valid PO file: Unknown or misformatted keyword"


def test_a_models_texts_are_walked_once_per_model_object(
    untranslated_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = load_site(untranslated_project)
    model = next(source.model for source in untranslated.text_sources(site) if untranslated.model_texts(source.model))
    expected = list(untranslated.find_texts(model))
    walked: list[object] = []
    find = untranslated.find_texts

    def counted(value: Any, loc: tuple[Any, ...] = ()) -> Any:
        if loc == ():
            walked.append(value)
        return find(value, loc)

    monkeypatch.setattr(untranslated, "find_texts", counted)
    assert untranslated.model_texts(model) == expected and walked == []
    copy = model.model_copy(deep=True)  # another object with the same fields: walked on its own
    assert untranslated.model_texts(copy) == expected and walked == [copy]
    kept = len(untranslated._kept_texts)
    del copy, walked[:]
    gc.collect()
    assert len(untranslated._kept_texts) == kept - 1, "a model's entry goes with it"
