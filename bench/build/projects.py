"""The benchmark's inputs: a sitegen project of about N pages, and the same Markdown for the other tools.

The sitegen project holds, per 1,000 pages: 20 standards, 2 onboarding
guides, 2 surveys (one customer, one employee; no QR locations), a vision
and free pages in lv, ru and en (`slug.md`, `slug.ru.md`, `slug.en.md`; one
in ten shown on both sites), enough of them to reach N HTML pages. No
scorecards: the comparison is about page generation, not figures.

The other tools get N Markdown files: the free pages' bodies in the order
sitegen has them (slug by slug, lv, ru, en), continued with further bodies
of the same generator up to N, each with its title.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from text import LANGUAGES, body, localised, phrase, sentence, short_markdown, title

FIXED_PAGES = 2 + 4 * 3 + 6 * 3
"""Pages every project has: 2 root pages; public home, vision, page and survey lists; intranet home, vision, 4 lists."""


@dataclass(frozen=True)
class Mix:
    """How many of each source file a project of about `pages` HTML pages holds."""

    standards: int
    guides: int
    surveys: int
    free_pages: int

    @property
    def shown_on_both(self) -> int:
        return self.free_pages // 10

    @property
    def html_pages(self) -> int:
        """The HTML pages sitegen writes for this mix (each survey: form and thank-you page in 3 languages)."""
        per_language = self.standards + self.guides + 2 * self.surveys + self.free_pages + self.shown_on_both
        return FIXED_PAGES + 3 * per_language

    @classmethod
    def for_pages(cls, pages: int) -> Mix:
        standards, guides, surveys = max(1, pages // 50), max(1, pages // 500), max(2, pages // 500)
        free_pages = 1
        while cls(standards, guides, surveys, free_pages + 1).html_pages <= pages:
            free_pages += 1
        return cls(standards, guides, surveys, free_pages)


def write_yaml(path: Path, value: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(value, allow_unicode=True, sort_keys=False, width=10_000), encoding="utf-8")


def write_sitegen_project(root: Path, mix: Mix) -> None:
    """A complete, valid sitegen project of `mix` in `root`."""
    write_yaml(
        root / "sitegen.yaml",
        {
            "title": {"lv": "Kafejnīca Etalons", "ru": "Кафе Эталон", "en": "Café Etalons"},
            "description": {
                "lv": "Mūsu apkalpošanas programma.",
                "ru": "Наша программа обслуживания.",
                "en": "Our service program.",
            },
            "base_url": "https://bench.example",
            "languages": list(LANGUAGES),
            "store": "sqlite:///data/responses.sqlite3",
            "timezone": "Europe/Riga",
        },
    )
    (root / "data").mkdir(exist_ok=True)
    write_yaml(
        root / "content" / "vision.yaml",
        {
            "statement": {"lv": "100% izpalīdzīgi.", "ru": "На 100% готовы помочь.", "en": "100% helpful."},
            "intro": localised(short_markdown, "vision"),
            "values": [localised(lambda rng, lang: phrase(rng, lang), "value", number) for number in range(4)],
        },
    )
    for number in range(1, mix.standards + 1):
        write_yaml(root / "content" / "standards" / f"standard-{number:04}.yaml", standard(number))
    for number in range(1, mix.guides + 1):
        write_yaml(root / "content" / "onboarding" / f"guide-{number:03}.yaml", guide(number))
    for number in range(1, mix.surveys + 1):
        write_yaml(root / "surveys" / f"survey-{number:03}.yaml", survey(number))
    pages = root / "content" / "pages"
    pages.mkdir(parents=True, exist_ok=True)
    for number in range(mix.free_pages):
        audience = "both" if number % 10 == 9 else "intranet"
        front = {
            "title": {lang: title("page", number, lang) for lang in LANGUAGES},
            "audience": audience,
            "order": number,
        }
        (pages / f"{page_slug(number)}.md").write_text(
            f"---\n{yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)}---\n{body(number, 'lv')}",
            encoding="utf-8",
        )
        for lang in LANGUAGES[1:]:
            (pages / f"{page_slug(number)}.{lang}.md").write_text(body(number, lang), encoding="utf-8")


def page_slug(number: int) -> str:
    return f"page-{number:05}"


def standard(number: int) -> dict[str, object]:
    return {
        "id": f"standard-{number:04}",
        "title": {lang: title("standard", number, lang) for lang in LANGUAGES},
        "rule": localised(sentence, "rule", number),
        "why": localised(short_markdown, "why", number),
        "do": [localised(sentence, "do", number, item) for item in range(3)],
        "dont": [localised(sentence, "dont", number, item) for item in range(2)],
        "order": number,
    }


def guide(number: int) -> dict[str, object]:
    return {
        "id": f"guide-{number:03}",
        "title": {lang: title("guide", number, lang) for lang in LANGUAGES},
        "intro": localised(short_markdown, "intro", number),
        "mentor": localised(sentence, "mentor", number),
        "modules": [
            {
                "id": f"module-{module}",
                "title": localised(phrase, "module", number, module),
                "body": localised(short_markdown, "module-body", number, module),
            }
            for module in range(1, 5)
        ],
        "weeks": [
            {
                "title": {"lv": f"{week}. nedēļa", "ru": f"Неделя {week}", "en": f"Week {week}"},
                "tasks": [localised(sentence, "task", number, week, task) for task in range(3)],
            }
            for week in range(1, 5)
        ],
    }


def survey(number: int) -> dict[str, object]:
    """A survey with one question of each common type and a follow-up; odd numbers are customer surveys."""

    def label(*parts: object) -> dict[str, str]:
        return localised(lambda rng, lang: sentence(rng, lang, 5, 10)[:-1] + "?", "label", number, *parts)

    def choices(name: str, count: int) -> list[dict[str, object]]:
        return [
            {"id": f"{name}-{choice}", "label": localised(phrase, name, number, choice)}
            for choice in range(1, count + 1)
        ]

    return {
        "id": f"survey-{number:03}",
        "title": {lang: title("survey", number, lang) for lang in LANGUAGES},
        "intro": localised(short_markdown, "survey-intro", number),
        "audience": "customer" if number % 2 else "employee",
        "thank_you": localised(sentence, "thanks", number),
        "questions": [
            {"id": "recommend", "type": "nps", "required": True, "label": label("recommend")},
            {
                "id": "improve",
                "type": "textarea",
                "show_if": {"question": "recommend", "lt": 9},
                "label": label("improve"),
            },
            {"id": "satisfaction", "type": "rating", "points": 5, "style": "faces", "label": label("satisfaction")},
            {"id": "effort", "type": "likert", "points": 7, "label": label("effort")},
            {"id": "resolved", "type": "yes_no", "label": label("resolved")},
            {"id": "reason", "type": "single", "label": label("reason"), "choices": choices("reason", 4)},
            {
                "id": "liked",
                "type": "multiple",
                "max_picks": 3,
                "label": label("liked"),
                "choices": choices("liked", 6),
            },
            {"id": "aspects", "type": "matrix", "points": 5, "label": label("aspects"), "items": choices("aspect", 4)},
        ],
    }


def markdown_pages(count: int) -> Iterator[tuple[str, str, str, str]]:
    """(name, language, title, body) of the comparison's `count` Markdown pages, in sitegen's order."""
    for number in range(count):
        page, lang = divmod(number, len(LANGUAGES))
        language = LANGUAGES[lang]
        yield f"{page_slug(page)}-{language}", language, title("page", page, language), body(page, language)
