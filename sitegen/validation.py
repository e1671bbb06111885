"""A parsed YAML document -> a validated model, or SiteErrors an owner can act on.

Pydantic knows what is wrong; this module says it in the owner's words, at
the line and column where it stands, with a suggestion where one is likely
("unknown key 'lable'. Did you mean 'label'?").
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, Tag, ValidationError

from sitegen.errors import Severity, SiteError, closest_match, did_you_mean
from sitegen.loading import Document
from sitegen.models.common import OpenUnion

M = TypeVar("M", bound=BaseModel)


@dataclass
class Source(typing.Generic[M]):
    """A validated model and the document it came from, to point back at its lines."""

    model: M
    document: Document

    @property
    def path(self) -> str:
        return self.document.path

    def error(self, loc: tuple[Any, ...], message: str, *, at_key: bool = False, warning: bool = False) -> SiteError:
        """A SiteError at the field `loc` of this source."""
        return error_at(self.document, loc, message, at_key=at_key, warning=warning)


def error_at(
    document: Document,
    loc: tuple[Any, ...],
    message: str,
    *,
    at_key: bool = False,
    warning: bool = False,
    point_at: tuple[Any, ...] | None = None,
) -> SiteError:
    """A SiteError for field `loc`, placed at `point_at` (default: the field itself)."""
    position = document.tree.locate(loc if point_at is None else point_at, at_key=at_key)
    severity = Severity.WARNING if warning else Severity.ERROR
    return SiteError(document.path, position.line, position.col, format_field(loc), message, severity)


def format_field(loc: tuple[Any, ...]) -> str:
    """`('questions', 2, 'label')` -> `questions[2].label`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_FIELD_PART = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def parse_field(text: str) -> tuple[Any, ...] | None:
    """`questions[2].label` -> `('questions', 2, 'label')`, the inverse of `format_field`; None if malformed."""
    parts: list[Any] = []
    position = 0
    while position < len(text):
        match = _FIELD_PART.match(text, position)
        if match is None or (match.group(2) is not None and match.group(0).startswith(".") == (not parts)):
            return None
        parts.append(int(match.group(1)) if match.group(1) is not None else match.group(2))
        position = match.end()
    return tuple(parts) or None


def validate_document(document: Document, model: type[M]) -> tuple[M | None, list[SiteError]]:
    """Validate a document's value; errors come back pointed at their lines."""
    if document.errors:
        return None, list(document.errors)
    if not isinstance(document.value, dict):
        return None, [error_at(document, (), f"expected a mapping of keys such as {_known_keys_hint(model)}")]
    try:
        return model.model_validate(document.value), []
    except ValidationError as invalid:
        return None, _translate(invalid, document, model)


def _translate(invalid: ValidationError, document: Document, model: type[BaseModel]) -> list[SiteError]:
    details = [(detail, *_clean_loc(model, tuple(detail["loc"]))) for detail in invalid.errors(include_url=False)]
    # A misspelt required key is one mistake: report the unknown key, not also the missing one.
    misspelt = {
        (loc[:-1], closest_match(str(loc[-1]), _field_names(holder)))
        for detail, loc, holder in details
        if detail["type"] == "extra_forbidden" and holder is not None
    }
    errors = []
    seen: set[tuple[Any, ...]] = set()
    for detail, loc, holder in details:
        if loc in seen:
            continue
        seen.add(loc)
        if detail["type"] == "union_tag_not_found":  # a question without `type`, a metric without `kind`
            tag = str(detail["ctx"]["discriminator"]).strip("'")
            typo = next((key for key in _keys_at(document.value, loc) if closest_match(str(key), [tag])), None)
            if typo is not None:
                errors.append(
                    error_at(document, (*loc, typo), f"unknown key '{typo}'. Did you mean '{tag}'?", at_key=True)
                )
                continue
            loc = (*loc, tag)
        if detail["type"] in ("missing", "union_tag_not_found"):
            if (loc[:-1], loc[-1]) not in misspelt:
                errors.append(error_at(document, loc, f"missing required key '{loc[-1]}'", point_at=loc[:-1]))
            continue
        # A key that is not a slug (`hidden: {Location: ...}`) is pointed at itself, not at its value.
        at_key = detail["type"] == "extra_forbidden" or tuple(detail["loc"][-1:]) == ("[key]",)
        message = _message(detail, loc, holder)
        point_at = None
        if detail["type"] == "union_tag_invalid":
            loc = (*loc, str(detail.get("ctx", {}).get("discriminator", "")).strip("'"))
        elif detail["type"].startswith("text_") and "lang" in detail.get("ctx", {}):
            point_at, at_key = (*loc, detail["ctx"]["lang"]), True  # the language key of a text
        errors.append(error_at(document, loc, message, at_key=at_key, point_at=point_at))
    return errors


def _message(detail: Any, loc: tuple[Any, ...], holder: type[BaseModel] | None) -> str:
    """Owner-facing wording for one pydantic error."""
    kind = detail["type"]
    ctx = detail.get("ctx", {})
    given = detail.get("input")
    if kind == "extra_forbidden":
        known = _field_names(holder) if holder else []
        return f"unknown key '{loc[-1]}'{did_you_mean(str(loc[-1]), known)}"
    if kind == "union_tag_invalid":
        tags = [tag.strip("' ") for tag in str(ctx.get("expected_tags", "")).split(",")]
        discriminator, tag = str(ctx.get("discriminator")).strip("'"), str(ctx.get("tag"))
        return f"unknown {discriminator} '{tag}'; expected one of {', '.join(tags)}{did_you_mean(tag, tags)}"
    if kind == "string_pattern_mismatch" and "a-z0-9" in str(ctx.get("pattern", "")):
        if "/" in str(ctx.get("pattern")):
            return f"must be '<scorecard-id>/<metric-id>' (got {given!r})"
        return (
            f"must be a slug: lowercase letters, digits, '-' and '_', starting with a letter or digit (got {given!r})"
        )
    if kind == "string_pattern_mismatch" and "Q[1-4]" in str(ctx.get("pattern", "")):
        return f"must be a period such as 2026-W18, 2026-05 or 2026-Q2 (got {given!r})"
    if kind == "string_pattern_mismatch":
        return f"must be an http:// or https:// address (got {given!r})"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = [part.strip(" '") for part in expected.replace(" or ", ", ").split(",")]
        return f"expected one of {', '.join(options)} (got {given!r}){did_you_mean(str(given), options)}"
    if kind in ("date_parsing", "date_from_datetime_parsing", "date_type", "date_from_datetime_inexact"):
        return f"must be a date written YYYY-MM-DD (got {given!r})"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number (got {given!r})"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number (got {given!r})"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false (got {given!r})"
    if kind in ("list_type",):
        return f"must be a list (got {_describe(given)})"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a mapping of keys (got {_describe(given)})"
    if kind in ("string_type",):
        return f"must be text (got {_describe(given)})"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} entr{'y' if ctx.get('min_length') == 1 else 'ies'}"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {
            "greater_than_equal": "at least",
            "greater_than": "more than",
            "less_than_equal": "at most",
            "less_than": "less than",
        }
        limit = next(iter(ctx.values()))
        return f"must be {words[kind]} {limit} (got {given!r})"
    message = str(detail["msg"])
    message = message.removeprefix("Value error, ")
    return message[:1].lower() + message[1:]


def _keys_at(value: Any, loc: tuple[Any, ...]) -> list[Any]:
    """The keys of the mapping found at `loc` inside a document's plain value."""
    for part in loc:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return []
    return list(value) if isinstance(value, dict) else []


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _field_names(model: type[BaseModel]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


def _known_keys_hint(model: type[BaseModel]) -> str:
    return ", ".join(_field_names(model)[:4])


def _clean_loc(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], type[BaseModel] | None]:
    """Drop pydantic's internal loc parts (union tags, validator names).

    Walks the model's types along `loc` and returns the owner's field path
    and the model that holds the last key (to suggest known keys).
    """
    cleaned: list[Any] = []
    current: Any = model
    holder: type[BaseModel] | None = model
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            holder = current
            field_name = _field_by_key(current, part)
            cleaned.append(part)
            current = current.model_fields[field_name].annotation if field_name else None
            continue
        origin = typing.get_origin(current)
        if origin is list and isinstance(part, int):
            cleaned.append(part)
            current = typing.get_args(current)[0]
        elif origin is dict:
            cleaned.append(part)
            current = typing.get_args(current)[1]
        elif origin in (typing.Union, types.UnionType):
            member = _union_member(current, part)
            if member is None:
                cleaned.append(part)
                current = None
            else:
                current = member
        elif isinstance(part, str) and ("[" in part or part.startswith("function-")):
            continue
        else:
            cleaned.append(part)
            current = None
    return tuple(cleaned), holder


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated[...] and Optional[...] down to the type that matters; an open union to its members now."""
    while typing.get_origin(annotation) is typing.Annotated:
        open_union = next((meta for meta in annotation.__metadata__ if isinstance(meta, OpenUnion)), None)
        annotation = typing.get_args(open_union.union if open_union else annotation)[0]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return _unwrap(members[0])
    return annotation


def _field_by_key(model: type[BaseModel], key: Any) -> str | None:
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return name
    return None


def _union_member(union: Any, tag: Any) -> Any:
    """The member of a tagged union that `tag` selects, as pydantic's loc names it: by a model's `Literal` field,
    or by the `Tag` a callable discriminator gives (`measured_by`: one reference, or a list)."""
    for member in typing.get_args(union):
        if typing.get_origin(member) is typing.Annotated and any(
            isinstance(meta, Tag) and meta.tag == tag for meta in member.__metadata__
        ):
            return member
        member = _unwrap(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            for field in member.model_fields.values():
                if typing.get_origin(field.annotation) is typing.Literal and tag in typing.get_args(field.annotation):
                    return member
    return None
