"""Add translations to an owner's YAML text in place, keeping every other line as it was written.

ruamel.yaml's round trip keeps comments, key order, quoting and flow style,
but it emits the whole document again, so its indentation is tried in the
shapes owners use until one gives back every untouched line unchanged. Two
proofs guard each edit: the diff touches only the lines of the edited texts
(or adds lines), and sitegen's own loader reads the new text as the old one
plus the translations. An edit that fails either is refused, never written.
"""

from __future__ import annotations

import copy
import difflib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, LiteralScalarString
from ruamel.yaml.util import load_yaml_guess_indent

from sitegen.loading import front_matter_span, parse_yaml

_FLOW_TRAPS = re.compile(r"[?:,#\n]")


@dataclass(frozen=True)
class Addition:
    """The `lang` text of the text at field `loc`; a plain string there becomes `{source_lang: it, lang: text}`."""

    loc: tuple[Any, ...]
    lang: str
    text: str
    source_lang: str


class EditRefused(Exception):
    """ruamel.yaml could not make the edit without changing what else the file says or how it looks."""


def add_translations(content: str, additions: list[Addition], *, is_markdown: bool = False) -> str:
    """`content` (a YAML file, or a Markdown page whose front matter holds the texts) with `additions` made."""
    if not is_markdown:
        return _edited_yaml(content, additions, first_line=1)
    span = front_matter_span(content)
    if span is None:
        raise EditRefused("the page has no front matter")
    start, end, _ = span
    return content[:start] + _edited_yaml(content[start:end], additions, first_line=2) + content[end:]


def _edited_yaml(text: str, additions: list[Addition], *, first_line: int) -> str:
    """`text` with the additions made; lines in messages count from `first_line` (2 in front matter)."""
    expected = parse_yaml(text, "")
    if expected.errors:
        raise EditRefused(f"the file does not read as YAML: {expected.errors[0].message}")
    touched = {expected.tree.locate(addition.loc).line - 1 for addition in additions}
    for addition in additions:
        _add_plain(expected.value, addition)
    other_change = 0
    for yaml in _round_trippers(text):
        try:
            document = yaml.load(text)
            for addition in additions:
                _add_round_trip(document, addition)
            written = io.StringIO()
            yaml.dump(document, written)
        except (YAMLError, KeyError, IndexError, TypeError) as problem:
            raise EditRefused(f"ruamel.yaml could not edit it: {problem}") from problem
        edited = written.getvalue()
        changed = _first_other_change(text, edited, touched)
        if changed is None:
            reread = parse_yaml(edited, "")
            if reread.errors or reread.value != expected.value:
                raise EditRefused("ruamel.yaml would change what the file says; add the translations by hand")
            return edited
        other_change = other_change or changed  # as the guessed indentation has it
    raise EditRefused(
        f"ruamel.yaml would rewrite line {other_change + first_line - 1}, which it was not asked to change; "
        "add the translations by hand"
    )


def _round_trippers(text: str) -> Iterator[YAML]:
    """Round-trip loaders with the indentation guessed from `text` first, then the other usual shapes."""
    try:
        _, indent, dash_offset = load_yaml_guess_indent(text)
    except YAMLError as problem:
        raise EditRefused(f"ruamel.yaml cannot read it: {problem}") from problem
    guessed = (indent or 2, dash_offset or 0)
    shapes = [guessed, (2, 0), (4, 2), (2, 2), (3, 1), (4, 0)]
    seen: set[tuple[int, int, int]] = set()
    for mapping in (indent or 2, 2, 4):
        for sequence, offset in shapes:
            if (mapping, sequence, offset) in seen or offset >= sequence:
                continue
            seen.add((mapping, sequence, offset))
            yaml = YAML(typ="rt")
            yaml.preserve_quotes = True
            yaml.width = 1_000_000  # never fold a long line the owner wrote on one
            yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
            yield yaml


def _first_other_change(old: str, new: str, touched: set[int]) -> int | None:
    """The first line (1-based) of `old` that `new` changes though it is not `touched` (0-based), if any;
    added lines are fine."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    for tag, first, last, _, _ in matcher.get_opcodes():
        untouched = sorted(set(range(first, last)) - touched) if tag in ("replace", "delete") else []
        if untouched:
            return untouched[0] + 1
    return None


def _parent(document: Any, loc: tuple[Any, ...]) -> Any:
    for part in loc[:-1]:
        document = document[part]
    return document


def _add_plain(value: Any, addition: Addition) -> None:
    parent = _parent(value, addition.loc)
    text = parent[addition.loc[-1]]
    if isinstance(text, dict):
        text[addition.lang] = addition.text
    else:
        parent[addition.loc[-1]] = {addition.source_lang: text, addition.lang: addition.text}


def _add_round_trip(document: Any, addition: Addition) -> None:
    parent = _parent(document, addition.loc)
    text = parent[addition.loc[-1]]
    if not isinstance(text, CommentedMap):
        mapping = CommentedMap([(addition.source_lang, text), (addition.lang, addition.text)])
        mapping.fa.set_flow_style()  # on the line the plain text stood on
        parent[addition.loc[-1]] = mapping
        return
    is_block = not text.fa.flow_style()
    if is_block and text:
        _move_trailing_lines(text, addition.lang)
    text[addition.lang] = _styled(addition.text, is_block)


def _styled(text: str, is_block: bool) -> str:
    """A new text as it is best written: a `|` block for lines in a block mapping; quoted in `{...}` when it
    holds what sitegen's reader (PyYAML) refuses there unquoted, though YAML 1.2 and ruamel.yaml allow it."""
    if is_block:
        return LiteralScalarString(text) if "\n" in text else text
    return DoubleQuotedScalarString(text) if _FLOW_TRAPS.search(text) else text


def _move_trailing_lines(mapping: CommentedMap, new_key: str) -> None:
    """Keep blank lines and comments that follow a block mapping below the key added to its end.

    ruamel.yaml keeps them with the last key's end-of-line comment, so a new last key would come after them.
    """
    last = list(mapping)[-1]
    comments = mapping.ca.items.get(last)
    token = comments[2] if comments and len(comments) > 2 else None
    if token is None or "\n" not in token.value:
        return
    own_line, _, following = token.value.partition("\n")
    if not following:
        return
    moved = copy.copy(token)
    moved.value = "\n" + following  # the new key's line ends, then come the lines that followed
    if own_line:
        token.value = own_line + "\n"
    else:
        comments[2] = None
    mapping.ca.items[new_key] = [None, None, moved, None]
