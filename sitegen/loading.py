"""YAML text -> plain Python values plus where each value stood in the file.

Owners edit YAML by hand, so every later error must point at a line and a
column. The loader keeps a `SourceTree` beside the plain data, reports
duplicate keys (PyYAML silently keeps the last), keeps dates as strings
(pydantic parses them), reads only `true`/`false` as booleans (YAML 1.1 would
turn a Norwegian `no` or an answer label `No` into `False`) and rewrites
PyYAML's cryptic syntax errors into advice.

Nodes are composed by libyaml (`CSafeLoader`, a quarter of a big build's
time saved) only where it is known to agree with PyYAML's pure-Python loader
to the character: a text without tabs, byte-order marks, Unicode line breaks
or characters YAML refuses, that libyaml composes without error and without
a flow collection (`{...}`, `[...]`: libyaml accepts `{en: How did we do?}`,
which the Python loader refuses). Every other text, and so every syntax
error, goes through the pure-Python loader, whose messages `_explain`
rewrites; the same project passes or fails alike on every machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from sitegen.errors import SiteError

_BOOL_TAG = "tag:yaml.org,2002:bool"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


_STRICT_RESOLVERS = {
    first: [(tag, _YAML12_BOOL if tag == _BOOL_TAG else regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_NOT_FOR_LIBYAML = re.compile("[\t\x85\u2028\u2029\ufeff]|" + yaml.reader.Reader.NON_PRINTABLE.pattern)
"""What the two loaders read differently (tabs, Unicode line breaks, a BOM) or refuse: the pure loader's business."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans and no implicit timestamps."""

    yaml_implicit_resolvers = _STRICT_RESOLVERS


if yaml.__with_libyaml__:  # a PyYAML built without libyaml has no CSafeLoader: every text goes to the pure loader

    class _FastLoader(yaml.CSafeLoader):
        """The same resolvers over libyaml's parser, whose marks give the same lines and columns."""

        yaml_implicit_resolvers = _STRICT_RESOLVERS


@dataclass(frozen=True)
class Position:
    """A 1-based line and column."""

    line: int
    col: int


@dataclass
class SourceTree:
    """Where a value and, in a mapping, each of its keys and children stood."""

    position: Position
    key_positions: dict[Any, Position] = field(default_factory=dict)
    children: dict[Any, SourceTree] = field(default_factory=dict)

    def locate(self, loc: tuple[Any, ...], *, at_key: bool = False) -> Position:
        """The position of the deepest node along `loc` that exists.

        `at_key` points at the last key itself rather than its value (an
        unknown key is best shown where it is spelled).
        """
        node = self
        for depth, part in enumerate(loc):
            is_last = depth == len(loc) - 1
            if is_last and at_key and part in node.key_positions:
                return node.key_positions[part]
            child = node.children.get(part)
            if child is None:
                return node.position
            node = child
        return node.position


@dataclass
class Document:
    """One parsed YAML document: its value, its positions, and its problems."""

    path: str
    value: Any
    tree: SourceTree
    errors: list[SiteError] = field(default_factory=list)


def _position(mark: yaml.Mark, first_line: int) -> Position:
    return Position(mark.line + first_line, mark.column + 1)


class _Builder:
    """Turns a composed node graph into values and a SourceTree.

    An alias (`*name`) builds to the very value of its anchor (`&name`), as in
    PyYAML, so a file full of aliases cannot grow exponentially.
    """

    def __init__(self, loader: yaml.SafeLoader | yaml.CSafeLoader, path: str, first_line: int) -> None:
        self.loader = loader
        self.path = path
        self.first_line = first_line
        self.errors: list[SiteError] = []
        self.built: dict[int, tuple[Any, SourceTree]] = {}
        self.building: set[int] = set()

    def build(self, node: yaml.Node) -> tuple[Any, SourceTree]:
        if id(node) in self.built:
            return self.built[id(node)]
        tree = SourceTree(_position(node.start_mark, self.first_line))
        if id(node) in self.building:
            self._error(tree.position, "an alias (*name) may not stand inside the value its anchor (&name) marks")
            return None, tree
        self.building.add(id(node))
        if isinstance(node, yaml.MappingNode):
            value: Any = self._build_mapping(node, tree)
        elif isinstance(node, yaml.SequenceNode):
            value = []
            for index, item_node in enumerate(node.value):
                item, tree.children[index] = self.build(item_node)
                value.append(item)
        else:
            value = self._construct(node)
        self.building.discard(id(node))
        self.built[id(node)] = (value, tree)
        return value, tree

    def _construct(self, node: yaml.Node) -> Any:
        """A scalar's value; an explicit tag that does not fit it (`!!int abc`, `!foo`) is an error."""
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError, AttributeError, LookupError, ArithmeticError):
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            position = _position(node.start_mark, self.first_line)
            self._error(position, f"cannot read this value as {tag}; remove the tag (sitegen files need no YAML tags)")
            return None

    def _build_mapping(self, node: yaml.MappingNode, tree: SourceTree) -> dict[Any, Any]:
        try:
            self.loader.flatten_mapping(node)
        except yaml.MarkedYAMLError as problem:
            mark = problem.problem_mark or node.start_mark
            self._error(
                _position(mark, self.first_line), "a merge key '<<' takes an alias of a mapping, or a list of them"
            )
            return {}
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_position = _position(key_node.start_mark, self.first_line)
            if not isinstance(key_node, yaml.ScalarNode):
                self._error(key_position, "a key must be plain text")
                continue
            key = self._construct(key_node)
            if key in mapping:
                first = tree.key_positions[key]
                self._error(key_position, f"duplicate key '{key}' (first given at line {first.line})", key)
                continue
            tree.key_positions[key] = key_position
            mapping[key], tree.children[key] = self.build(value_node)
        return mapping

    def _error(self, position: Position, message: str, key: Any = "") -> None:
        self.errors.append(SiteError(self.path, position.line, position.col, str(key), message))


def parse_yaml(text: str, path: str, first_line: int = 1, *, what: str = "file") -> Document:
    """Parse one YAML document; syntax problems come back in `Document.errors`.

    `first_line` shifts reported lines, for front matter that starts below
    line 1 of its file; `what` names the text in the message when it is empty.
    """
    loader, node = _compose(text)
    if isinstance(node, yaml.MarkedYAMLError):
        return Document(path, None, SourceTree(Position(first_line, 1)), [_explain(node, path, first_line)])
    if node is None:
        empty = SourceTree(Position(first_line, 1))
        return Document(path, None, empty, [SiteError(path, first_line, 1, "", f"the {what} is empty")])
    builder = _Builder(loader, path, first_line)
    value, tree = builder.build(node)
    return Document(path, value, tree, builder.errors)


def _compose(text: str) -> tuple[yaml.SafeLoader | yaml.CSafeLoader, yaml.Node | yaml.MarkedYAMLError | None]:
    """The text's node graph (None when empty) and the loader to construct its scalars with, or the syntax error.

    libyaml's graph is kept only where it is known to be the pure loader's (see the module's docstring).
    """
    if yaml.__with_libyaml__ and _NOT_FOR_LIBYAML.search(text) is None:
        fast = _FastLoader(text)
        try:
            node = fast.get_single_node()
        except yaml.YAMLError:
            pass
        else:
            if node is None or not _has_flow_collection(node):
                return fast, node
        finally:
            fast.dispose()
    loader = _StrictLoader(text)  # a character YAML refuses raises here, for the caller to report (site.py)
    try:
        return loader, loader.get_single_node()
    except yaml.MarkedYAMLError as problem:
        return loader, problem
    finally:
        loader.dispose()


def _has_flow_collection(root: yaml.Node) -> bool:
    """Whether any mapping or list in the graph is written in flow style (`{...}`, `[...]`)."""
    pending, seen = [root], set()
    while pending:
        node = pending.pop()
        if id(node) in seen or not isinstance(node, yaml.CollectionNode):
            continue
        seen.add(id(node))
        if node.flow_style:
            return True
        if isinstance(node, yaml.MappingNode):
            pending.extend(part for pair in node.value for part in pair)
        else:
            pending.extend(node.value)
    return False


def _explain(problem: yaml.MarkedYAMLError, path: str, first_line: int) -> SiteError:
    """Rewrite a PyYAML syntax error as advice at the place it went wrong."""
    mark = problem.problem_mark or problem.context_mark
    position = _position(mark, first_line) if mark else Position(first_line, 1)
    text = problem.problem or "invalid YAML"
    context = problem.context or ""
    if "'\\t'" in text:
        message = "a tab character: YAML must be indented with spaces, not tabs"
    elif context.startswith("while parsing a flow mapping") and "expected ',' or '}'" in text:
        message = (
            "text inside {...} may not contain '?', ': ' or ', ' unless quoted; "
            'put the text in quotes, e.g. {en: "How did we do?"}'
        )
    elif context.startswith("while parsing a flow sequence") and "expected ',' or ']'" in text:
        message = "a list in [...] is not closed, or an item contains ': ' and must be quoted"
    elif text.startswith("mapping values are not allowed"):
        message = "': ' inside a text that is not quoted; put the text in quotes, or check this line's indentation"
    elif context.startswith("while scanning a quoted scalar") and problem.context_mark:
        position = _position(problem.context_mark, first_line)
        message = "this quoted text is never closed; end it with the same quote mark it starts with"
    elif text.startswith("expected <block end>"):
        message = (
            "this line is indented differently from the lines above it; "
            "line up the keys of one mapping and the '-' of one list"
        )
    elif context.startswith("expected a single document"):
        message = (
            "a second YAML document; a file holds one, so remove this '---' line or move what follows it to a new file"
        )
    else:
        where = ""
        if problem.context_mark and problem.problem_mark and problem.context_mark.line != problem.problem_mark.line:
            where = f" (in what starts at line {problem.context_mark.line + first_line})"
        message = f"invalid YAML: {text}{where}"
    return SiteError(path, position.line, position.col, "", message)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?\r?\n)?---[ \t]*(?:\r?\n|\Z)", re.DOTALL)


@dataclass
class MarkdownFile:
    """A Markdown page: its front matter (a Document, or None) and its body."""

    front_matter: Document | None
    body: str


def front_matter_span(text: str) -> tuple[int, int, int] | None:
    """Where a Markdown file's `---`-fenced front matter is: its YAML from `start` to `end`, and where the body
    begins; None without front matter. The YAML starts on line 2 of the file."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None
    start, end = match.span(1) if match.group(1) is not None else (text.index("\n") + 1,) * 2
    return start, end, match.end()


def parse_markdown_file(text: str, path: str) -> MarkdownFile:
    """Split `---`-fenced YAML front matter from a Markdown body and parse it."""
    span = front_matter_span(text)
    if span is None:
        return MarkdownFile(None, text)
    start, end, body = span
    front_matter = parse_yaml(text[start:end], path, first_line=2, what="front matter")
    return MarkdownFile(front_matter, text[body:])
