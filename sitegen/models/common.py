"""Building blocks shared by every model: strict models, slugs, localised text."""

from __future__ import annotations

import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, GetCoreSchemaHandler, GetJsonSchemaHandler, StringConstraints
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
LANGUAGE_PATTERN = r"[a-z]{2,3}"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""An id: lowercase letters, digits, '-' and '_', starting with a letter or digit."""


class StrictModel(BaseModel):
    """A model that refuses unknown keys, so a typo never passes silently."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


PER_MODEL_LIMIT = 4096
"""Models whose value `per_model` keeps at once; past that it starts again (surveys reloaded as files change)."""
Model = TypeVar("Model", bound=StrictModel)
Value = TypeVar("Value")


def per_model(function: Callable[[Model], Value]) -> Callable[[Model], Value]:
    """`function` worked out once per model object: a StrictModel is frozen, so its value cannot go stale.

    Kept by the object's identity (a model with lists is not hashable, and hashing a survey would cost more than
    the work saved), beside the object itself, so that no other object can take its id while the value is kept.
    Not a cached_property: `model_copy` would carry the value into a copy whose fields are not the same.
    """
    kept: dict[int, tuple[Model, Value]] = {}

    def once(model: Model) -> Value:
        hit = kept.get(id(model))
        if hit is not None and hit[0] is model:
            return hit[1]
        if len(kept) >= PER_MODEL_LIMIT:
            kept.clear()
        value = function(model)
        kept[id(model)] = (model, value)
        return value

    return once


@dataclass(frozen=True)
class OrIdList:
    """Marks a field that also takes the short form `[id, id]` (a validator turns it into the long one), so its JSON
    Schema offers both forms to an editor."""

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        ids = {"type": "array", "items": {"type": "string", "pattern": SLUG_PATTERN}}
        return {"anyOf": [ids, handler(schema)]}


class Text:
    """A human-readable text: one string for all languages, or one per language.

    Owners write either `title: Opening hours` or
    `title: {lv: Darba laiks, en: Opening hours}`. Which languages are
    allowed, and which are missing, is checked later against `sitegen.yaml`.
    """

    __slots__ = ("common", "translations")

    def __init__(self, common: str | None = None, translations: dict[str, str] | None = None) -> None:
        self.common = common
        self.translations = translations or {}

    def get(self, lang: str, fallback: str) -> str:
        """The text in `lang`, else in the `fallback` language, else any text given."""
        if self.common is not None:
            return self.common
        for candidate in (lang, fallback):
            if candidate in self.translations:
                return self.translations[candidate]
        return next(iter(self.translations.values()), "")

    def missing(self, languages: list[str]) -> list[str]:
        """Configured languages this text has no translation for."""
        if self.common is not None:
            return []
        return [lang for lang in languages if lang not in self.translations]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.common, self.translations) == (other.common, other.translations)

    def __hash__(self) -> int:
        return hash((self.common, tuple(sorted(self.translations.items()))))

    def __repr__(self) -> str:
        return f"Text({self.common!r})" if self.common is not None else f"Text({self.translations!r})"

    @classmethod
    def parse(cls, value: Any) -> Text:
        """Accept plain text (numbers read as text too) or a language mapping."""
        if isinstance(value, Text):
            return value
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return cls(common=str(value))
        if isinstance(value, dict) and value:
            return cls(translations={str(lang): _translation(lang, text) for lang, text in value.items()})
        raise PydanticCustomError(
            "text_type",
            "expected text, or a mapping of language to text such as {lv: ..., en: ...}",
        )

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.plain_serializer_function_ser_schema(cls.as_written)
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """What an editor may offer: one text for every language, or a text per language code."""
        per_language = {"type": "object", "propertyNames": {"pattern": f"^{LANGUAGE_PATTERN}$"}, "minProperties": 1}
        per_language["additionalProperties"] = {"type": "string"}
        return {"anyOf": [{"type": "string"}, {"type": "number"}, per_language]}

    def as_written(self) -> str | dict[str, str]:
        """The text as the owner wrote it: one string, or language -> string."""
        return self.common if self.common is not None else self.translations


def _translation(lang: object, text: object) -> str:
    if text is None and not re.fullmatch(LANGUAGE_PATTERN, str(lang)):
        # `{en: Tell us, how was it}` reads as {en: Tell us, "how was it": null}.
        raise PydanticCustomError(
            "text_split",
            "'{lang}' looks like the rest of a text cut at ', '; inside {...} put a text containing ', ' in quotes",
            {"lang": lang},
        )
    if text is None:
        raise PydanticCustomError(
            "text_empty",
            "'{lang}' has no text (if a text inside {...} was cut at ', ', put it in quotes)",
            {"lang": lang},
        )
    if isinstance(text, (str, int, float)) and not isinstance(text, bool):
        return str(text)
    raise PydanticCustomError("text_type", "the '{lang}' text must be plain text", {"lang": lang})


@dataclass(frozen=True)
class OpenUnion:
    """Marks a field that takes any model of a registry, told apart by a `Literal` key (`type`, `kind`).

    The members are not fixed where the field is declared: plugins add theirs
    after the models are defined (`sitegen.plugins`), and `admit` rebuilds the
    holders so that validation, error messages and JSON Schemas all see them,
    as a `Literal`-discriminated union written out by hand would.
    """

    discriminator: str
    members: list[type[BaseModel]]

    @property
    def union(self) -> Any:
        """The members as a discriminated union, as pydantic and `sitegen.validation` read one."""
        return Annotated[typing.Union[tuple(self.members)], Field(discriminator=self.discriminator)]  # noqa: UP007

    def __get_pydantic_core_schema__(self, _source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return handler.generate_schema(self.union)

    def admit(self, model: type[BaseModel], holders: tuple[type[BaseModel], ...]) -> None:
        """Add a member, then rebuild the models whose fields hold the union."""
        self.members.append(model)
        for holder in holders:
            holder.model_rebuild(force=True)
