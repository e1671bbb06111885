"""Which of the site's languages a visitor's root request asks for: a choice made before, else the browser's.

The root page's script (`static/language.js`) decides the same way in the
browser; `sitegen serve` decides here, from the `sitegen_lang` cookie that
script sets and the `Accept-Language` header (RFC 9110 section 12.5.4).
"""

from __future__ import annotations

CHOICE_COOKIE = "sitegen_lang"


def browser_languages(accept_language: str) -> list[str]:
    """`ru-RU,ru;q=0.9,en;q=0.8` -> `["ru", "ru", "en"]`: primary tags by falling weight, weight 0 left out."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")):
        tag, _, parameters = item.strip().partition(";")
        weight = 1.0
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() == "q":
            try:
                weight = float(value)
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary and primary != "*" and weight > 0:
            weighted.append((-weight, position, primary))
    return [primary for _, _, primary in sorted(weighted)]


def preferred_language(languages: list[str], chosen: str | None, accept_language: str | None) -> str:
    """The language to open: `chosen` if the site has it, else the browser's first the site has, else the first."""
    for lang in [chosen or "", *browser_languages(accept_language or "")]:
        if lang in languages:
            return lang
    return languages[0]
