"""Synthetic service-program prose in lv, ru and en: Markdown bodies, titles and short texts.

Everything is drawn from a `random.Random` seeded with a string, so the same
page index and language always give the same text, on every machine. The
bodies look like what owners write: headings, paragraphs, bullet and
numbered lists, links, emphasis, a quote and a table, 600-1,000 words.
"""

from __future__ import annotations

import random

LANGUAGES = ("lv", "ru", "en")

WORDS = {
    "lv": [
        "klients",
        "viesis",
        "kafija",
        "apkalpošana",
        "standarts",
        "komanda",
        "darbinieks",
        "kvalitāte",
        "laipni",
        "ātri",
        "vienmēr",
        "katru",
        "dienu",
        "smaids",
        "sveiciens",
        "pasūtījums",
        "kase",
        "galds",
        "tīrība",
        "padoms",
        "uzmanība",
        "saruna",
        "atsauksme",
        "mērķis",
        "rezultāts",
        "process",
        "pieredze",
        "mācības",
        "mentors",
        "nedēļa",
        "maiņa",
        "vadītājs",
        "noteikums",
        "piemērs",
        "jautājums",
        "atbilde",
        "problēma",
        "risinājums",
        "iespēja",
        "laiks",
        "vieta",
        "produkts",
        "cena",
        "garša",
        "piegāde",
        "rinda",
        "sūdzība",
        "paldies",
        "labāk",
        "svarīgi",
        "jādara",
        "mēs",
        "mūsu",
        "un",
        "vai",
        "ar",
        "par",
        "pie",
        "bez",
        "kad",
        "tad",
        "ja",
        "kā",
        "kas",
        "ka",
        "lai",
        "bet",
        "arī",
        "jau",
        "vēl",
        "ļoti",
        "viegli",
        "godīgi",
        "skaidri",
        "rūpīgi",
        "kopā",
        "ikviens",
        "jauns",
        "pirmais",
        "kafejnīca",
        "maize",
        "kūka",
        "tēja",
        "ēdienkarte",
        "durvis",
        "logs",
        "plaukts",
        "solis",
        "minūte",
        "sekunde",
    ],
    "ru": [
        "клиент",
        "гость",
        "кофе",
        "обслуживание",
        "стандарт",
        "команда",
        "сотрудник",
        "качество",
        "вежливо",
        "быстро",
        "всегда",
        "каждый",
        "день",
        "улыбка",
        "приветствие",
        "заказ",
        "касса",
        "стол",
        "чистота",
        "совет",
        "внимание",
        "разговор",
        "отзыв",
        "цель",
        "результат",
        "процесс",
        "опыт",
        "обучение",
        "наставник",
        "неделя",
        "смена",
        "руководитель",
        "правило",
        "пример",
        "вопрос",
        "ответ",
        "проблема",
        "решение",
        "возможность",
        "время",
        "место",
        "продукт",
        "цена",
        "вкус",
        "доставка",
        "очередь",
        "жалоба",
        "спасибо",
        "лучше",
        "важно",
        "нужно",
        "мы",
        "наш",
        "и",
        "или",
        "с",
        "о",
        "у",
        "без",
        "когда",
        "тогда",
        "если",
        "как",
        "что",
        "чтобы",
        "но",
        "также",
        "уже",
        "ещё",
        "очень",
        "легко",
        "честно",
        "ясно",
        "тщательно",
        "вместе",
        "каждый",
        "новый",
        "первый",
        "кафе",
        "хлеб",
        "торт",
        "чай",
        "меню",
        "дверь",
        "окно",
        "полка",
        "шаг",
        "минута",
        "секунда",
    ],
    "en": [
        "customer",
        "guest",
        "coffee",
        "service",
        "standard",
        "team",
        "employee",
        "quality",
        "kindly",
        "quickly",
        "always",
        "every",
        "day",
        "smile",
        "greeting",
        "order",
        "till",
        "table",
        "cleanliness",
        "advice",
        "attention",
        "conversation",
        "feedback",
        "goal",
        "result",
        "process",
        "experience",
        "training",
        "mentor",
        "week",
        "shift",
        "manager",
        "rule",
        "example",
        "question",
        "answer",
        "problem",
        "solution",
        "chance",
        "time",
        "place",
        "product",
        "price",
        "taste",
        "delivery",
        "queue",
        "complaint",
        "thanks",
        "better",
        "important",
        "must",
        "we",
        "our",
        "and",
        "or",
        "with",
        "about",
        "at",
        "without",
        "when",
        "then",
        "if",
        "how",
        "what",
        "that",
        "so",
        "but",
        "also",
        "already",
        "still",
        "very",
        "easily",
        "honestly",
        "clearly",
        "carefully",
        "together",
        "everyone",
        "new",
        "first",
        "café",
        "bread",
        "cake",
        "tea",
        "menu",
        "door",
        "window",
        "shelf",
        "step",
        "minute",
        "second",
    ],
}

TABLE_HEADINGS = {
    "lv": ("Situācija", "Ko darām", "Minūtes", "Kas atbild"),
    "ru": ("Ситуация", "Что делаем", "Минуты", "Кто отвечает"),
    "en": ("Situation", "What we do", "Minutes", "Who is responsible"),
}


def seeded(*parts: object) -> random.Random:
    """A generator for one piece of text; the same parts always give the same text."""
    return random.Random("-".join(str(part) for part in parts))


def words(rng: random.Random, lang: str, low: int, high: int) -> str:
    return " ".join(rng.choice(WORDS[lang]) for _ in range(rng.randint(low, high)))


def sentence(rng: random.Random, lang: str, low: int = 7, high: int = 16) -> str:
    text = words(rng, lang, low, high)
    return text[0].upper() + text[1:] + rng.choice(".....!?")


def phrase(rng: random.Random, lang: str, low: int = 2, high: int = 5) -> str:
    """A capitalised run of words without a full stop (titles, headings, list items)."""
    text = words(rng, lang, low, high)
    return text[0].upper() + text[1:]


def paragraph(rng: random.Random, lang: str, index: int) -> str:
    parts = [sentence(rng, lang) for _ in range(rng.randint(3, 6))]
    parts[rng.randrange(len(parts))] += (
        f" [{words(rng, lang, 1, 3)}](https://example.com/{lang}/guide/{index}/{rng.randrange(100)}/)"
    )
    emphasised = rng.randrange(len(parts))
    parts[emphasised] = f"*{parts[emphasised]}*" if rng.random() < 0.5 else f"**{parts[emphasised]}**"
    return " ".join(parts)


def bullet_list(rng: random.Random, lang: str, numbered: bool) -> str:
    items = []
    for number in range(1, rng.randint(4, 7) + 1):
        marker = f"{number}." if numbered else "-"
        item = sentence(rng, lang, 4, 10)
        if rng.random() < 0.3:
            item = f"**{phrase(rng, lang, 1, 2)}:** {item}"
        items.append(f"{marker} {item}")
    return "\n".join(items)


def table(rng: random.Random, lang: str) -> str:
    head = TABLE_HEADINGS[lang]
    rows = [f"| {' | '.join(head)} |", "| --- | --- | ---: | --- |"]
    for _ in range(rng.randint(4, 6)):
        rows.append(
            f"| {phrase(rng, lang, 1, 3)} | {words(rng, lang, 3, 6)} | {rng.randint(1, 30)} | "
            f"{phrase(rng, lang, 1, 2)} |"
        )
    return "\n".join(rows)


def body(index: int, lang: str) -> str:
    """A free page's Markdown body: 600-1,000 words under headings, with lists, links, a quote and a table."""
    rng = seeded("body", index, lang)
    wanted = rng.randint(600, 1000)
    blocks = [paragraph(rng, lang, index)]
    extras = [
        lambda: bullet_list(rng, lang, numbered=False),
        lambda: f"### {phrase(rng, lang)}\n\n{table(rng, lang)}",
        lambda: bullet_list(rng, lang, numbered=True),
        lambda: f"> {sentence(rng, lang, 10, 18)}",
    ]
    count = len(blocks[0].split())
    section = 0
    while count < wanted:
        section += 1
        heading = f"## {phrase(rng, lang)}"
        chunk = [heading, paragraph(rng, lang, index)]
        if section <= len(extras):
            chunk.append(extras[section - 1]())
        chunk.append(paragraph(rng, lang, index))
        blocks += chunk
        count += sum(len(block.split()) for block in chunk)
    return "\n\n".join(blocks) + "\n"


def title(kind: str, index: int, lang: str) -> str:
    """A short title, unique by ending in its number."""
    return f"{phrase(seeded('title', kind, index, lang), lang)} {index}"


def localised(make: object, *parts: object) -> dict[str, str]:
    """`{lv: ..., ru: ..., en: ...}` from a function of (rng, lang)."""
    return {lang: make(seeded(*parts, lang), lang) for lang in LANGUAGES}  # type: ignore[operator]


def short_markdown(rng: random.Random, lang: str) -> str:
    """A paragraph or two for a `why`, an intro or a module body."""
    return "\n\n".join(paragraph(rng, lang, 0) for _ in range(rng.randint(1, 2)))
