"""Which texts of a site lack which language: one list for the check's warnings and the translator's export."""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from sitegen.models.common import Text
from sitegen.validation import Source, format_field

if TYPE_CHECKING:
    from sitegen.site import Page, Site


@dataclass(frozen=True)
class MissingText:
    """A text at field `loc` of `source` that has no `lang` translation; `source_lang`'s text is shown instead."""

    source: Source[Any]
    loc: tuple[Any, ...]
    lang: str
    source_lang: str
    source_text: str

    @property
    def field(self) -> str:
        return format_field(self.loc)

    @property
    def digest(self) -> str:
        return source_digest(self.source_text)


@dataclass(frozen=True)
class MissingBody:
    """A page whose body has no `lang` file (`content/pages/<slug>.<lang>.md`); `source_lang`'s body is shown."""

    page: Page
    lang: str
    source_lang: str

    @property
    def path(self) -> str:
        return body_path(self.page, self.lang)

    @property
    def source_text(self) -> str:
        return self.page.bodies[self.source_lang]


def body_path(page: Page, lang: str) -> str:
    """The file that holds a page's body in `lang`, beside the page's own: `content/pages/<slug>.<lang>.md`."""
    return str(PurePosixPath(page.meta.path).with_name(f"{page.slug}.{lang}.md"))


def source_digest(text: str) -> str:
    """A short fingerprint of a source text: an import refuses a translation made of a text that changed since."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def text_sources(site: Site) -> list[Source[Any]]:
    """Every validated file (and page front matter) that holds owner texts."""
    sources: list[Source[Any]] = [site.config, *site.standards, *site.guides, *site.surveys, *site.scorecards]
    sources += [page.meta for page in site.pages]
    if site.vision is not None:
        sources.append(site.vision)
    return sources


def missing_texts(site: Site) -> Iterator[MissingText]:
    """Every text given per language that lacks one of the site's languages, file by file in field order.

    The text shown instead (and given to a translator) is the default language's, else the first one written.
    """
    languages = site.config.model.languages
    for source in text_sources(site):
        for loc, text in model_texts(source.model):
            shown = languages[0] if languages[0] in text.translations else next(iter(text.translations), None)
            if shown is None:
                continue
            for lang in text.missing(languages):
                yield MissingText(source, loc, lang, shown, text.translations[shown])


def missing_bodies(site: Site) -> Iterator[MissingBody]:
    """Every page body that lacks one of the site's languages (the page's own file is the default language's)."""
    languages = site.config.model.languages
    for page in site.pages:
        for lang in languages[1:]:
            if lang not in page.bodies:
                yield MissingBody(page, lang, languages[0])


Located = tuple[tuple[Any, ...], Text]
_kept_texts: dict[int, tuple[weakref.ref[BaseModel], list[Located]]] = {}
"""`model_texts` by model identity, each beside a reference to its model that drops it when the model goes."""


def model_texts(model: BaseModel) -> list[Located]:
    """`find_texts` of a file's model, walked once per model object: models are frozen, and a preview rebuild keeps
    the objects of the files that did not change (walking 1,510 files' models twice took 14-19 ms a rebuild)."""
    key = id(model)
    hit = _kept_texts.get(key)
    if hit is not None and hit[0]() is model:
        return hit[1]
    texts = list(find_texts(model))
    _kept_texts[key] = (weakref.ref(model, lambda _gone: _kept_texts.pop(key, None)), texts)
    return texts


def find_texts(value: Any, loc: tuple[Any, ...] = ()) -> Iterator[Located]:
    """Every localised Text inside a model, with its field path as the owner wrote it."""
    if isinstance(value, Text):
        yield loc, value
    elif isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            yield from find_texts(getattr(value, name), (*loc, field.alias or name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from find_texts(item, (*loc, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from find_texts(item, (*loc, key))
