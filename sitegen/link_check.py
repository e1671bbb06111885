"""`sitegen check --links`: every link, form and QR code of a built site leads to a built file or a collector route.

A printed QR poster cannot be corrected once it hangs on a wall, and a form
that posts nowhere loses every answer quietly; so before the site goes out,
each address its pages name is proved to resolve:

- a relative link (or a root-relative one, or an absolute one to the
  tree's own `base_url` / `intranet_url`) to a file of the same tree, a
  directory's address to its `index.html`, and a `#fragment` to an `id` on
  the page it names;
- an address of the collector (`collector_url`, or the same origin where it
  is not set) to one of the collector app's own routes
  (`sitegen.collector.app.collector_routes`) that accepts the method used:
  a form's `method`, GET for a link;
- a QR code's target, taken from the page plan the poster was drawn from
  (the URL given to segno, not decoded from the image), to a built page.

Pages are parsed with the standard library's HTML parser, which gives each
address its line. Other hosts are never fetched; they are listed instead.
For a `--local` build, a link to a directory is broken too: from disk a
browser shows the directory's listing, not its page.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import unquote, urlsplit

from starlette.routing import BaseRoute, Match

from sitegen.errors import SiteError
from sitegen.project import OUTPUT_DIR
from sitegen.render import TREES
from sitegen.render.links import INDEX_FILE
from sitegen.render.surveys import QR_CODE_CLASS, tree_url
from sitegen.site import Site

URL_ATTRIBUTES = ("href", "src", "action", "formaction")
"""The attributes of an element that name an address a reader's browser opens, loads or posts to."""
UNCHECKED_SCHEMES = ("mailto", "tel", "sms", "data", "javascript")
"""Schemes that name no page: listed as other addresses, never resolved."""
QR_ATTRIBUTE = "QR code"


@dataclass(frozen=True)
class Reference:
    """One address a built page names: on which line, in which attribute, for which method."""

    page: str
    """The page's path relative to `output/`, e.g. `public/lv/index.html`."""
    line: int
    col: int
    attribute: str
    """How the page names it: `a href`, `form action`, `QR code`."""
    address: str
    method: str = "GET"


@dataclass(frozen=True)
class BuiltPage:
    """What the check needs of one HTML page: the ids a fragment can name, and every address it names."""

    ids: frozenset[str]
    references: tuple[Reference, ...]
    qr_code_line: tuple[int, int] = (1, 1)


class _PageReader(HTMLParser):
    """Collects ids and addresses with their positions as the standard library's parser walks a page."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.ids: set[str] = set()
        self.references: list[Reference] = []
        self.qr_code_line: tuple[int, int] | None = None
        self.form_method = "GET"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line, offset = self.getpos()
        values = {name: value for name, value in attrs if value is not None}
        for name in ("id", "name") if tag == "a" else ("id",):
            if name in values:
                self.ids.add(values[name])
        if self.qr_code_line is None and QR_CODE_CLASS in values.get("class", "").split():
            self.qr_code_line = (line, offset + 1)
        if tag == "form":
            self.form_method = values.get("method", "get").upper()
        for name in URL_ATTRIBUTES:
            if name in values:
                method = self._method(tag, name, values)
                self.references.append(Reference(self.page, line, offset + 1, f"{tag} {name}", values[name], method))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form_method = "GET"

    def _method(self, tag: str, attribute: str, values: dict[str, str]) -> str:
        """A form's `action` is sent with its `method`; a button's `formaction` with its `formmethod`, else the
        form's; every other address is fetched (GET)."""
        if tag == "form" and attribute == "action":
            return self.form_method
        if attribute == "formaction":
            return values.get("formmethod", self.form_method).upper()
        return "GET"


def read_page(page: str, html: str) -> BuiltPage:
    """The ids and addresses of one built page (`page`: its path relative to `output/`)."""
    reader = _PageReader(page)
    reader.feed(html)
    reader.close()
    return BuiltPage(frozenset(reader.ids), tuple(reader.references), reader.qr_code_line or (1, 1))


@dataclass(frozen=True)
class Deployment:
    """Where the trees and the collector are reached (sitegen.yaml), to tell the site's own addresses from others."""

    trees: Mapping[str, str]
    """Tree -> its absolute address without the final '/', where the owner has said so."""
    collector: str
    """The collector's absolute address, or "" for the same origin as the pages."""

    @classmethod
    def of(cls, site: Site) -> Deployment:
        config = site.config.model
        trees = {tree: url for tree in TREES if (url := tree_url(config, tree)) is not None}
        return cls(trees, (config.collector_url or "").rstrip("/"))


@dataclass
class LinkReport:
    """What the check found: broken addresses as positioned errors, the other hosts' addresses, the counts."""

    pages: int = 0
    references: int = 0
    qr_codes: int = 0
    forms: int = 0
    broken: list[SiteError] = field(default_factory=list)
    elsewhere: list[Reference] = field(default_factory=list)
    """Addresses of other hosts and schemes (mailto:, tel:), not fetched."""
    seconds: float = 0.0


class LinkChecker:
    """Resolves the addresses of one set of built files against those files and the collector's routes."""

    def __init__(
        self,
        files: Mapping[str, bytes],
        routes: Sequence[BaseRoute],
        deployment: Deployment,
        is_local: bool = False,
        output_name: str = OUTPUT_DIR,
    ) -> None:
        self.files = files
        self.routes = routes
        self.deployment = deployment
        self.is_local = is_local
        self.output_name = output_name
        self.pages = {
            path: read_page(path, content.decode("utf-8")) for path, content in files.items() if path.endswith(".html")
        }

    def check(self, qr_targets: Mapping[str, str]) -> LinkReport:
        """Every page's addresses, and the QR target of each poster page (by its path relative to `output/`)."""
        report = LinkReport(pages=len(self.pages))
        references = [reference for page in self.pages.values() for reference in page.references]
        for page, target in sorted(qr_targets.items()):
            line, col = self.pages[page].qr_code_line if page in self.pages else (1, 1)
            references.append(Reference(page, line, col, QR_ATTRIBUTE, target))
        for reference in references:
            report.references += 1
            report.qr_codes += reference.attribute == QR_ATTRIBUTE
            report.forms += reference.attribute == "form action"
            if self.is_elsewhere(reference):
                report.elsewhere.append(reference)
            elif (problem := self.problem_of(reference)) is not None:
                report.broken.append(self._error(reference, problem))
        return report

    def is_elsewhere(self, reference: Reference) -> bool:
        """Whether the address is another host's or names no page (`mailto:`): listed, never fetched.

        A QR code is never elsewhere: it must lead to a page of this site.
        """
        parts = urlsplit(reference.address)
        if parts.scheme in UNCHECKED_SCHEMES:
            return True
        is_absolute = bool(parts.scheme or parts.netloc)
        return is_absolute and reference.attribute != QR_ATTRIBUTE and self._own_place(reference.address) is None

    def problem_of(self, reference: Reference) -> str | None:
        """Why the address leads nowhere, or None where it resolves."""
        parts = urlsplit(reference.address)
        tree = reference.page.split("/", 1)[0]
        if parts.scheme or parts.netloc:
            return self._absolute(reference, parts.fragment)
        if reference.attribute == QR_ATTRIBUTE:
            return "is not a whole address, which a QR code must encode (set base_url or intranet_url)"
        if parts.path.startswith("/"):
            return self._root_relative(reference, tree, parts.path, parts.fragment)
        if not parts.path:  # `#main`, `?lang=ru`: the page itself
            return self._in_tree(reference, reference.page, parts.fragment)
        path = unquote(parts.path)
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(reference.page), path))
        if joined != tree and not joined.startswith(tree + "/"):
            return f"leads out of the {tree} tree, which is deployed on its own"
        file = self._file_of(joined, path)
        if self.is_local and file != joined:
            return "names a directory: read from disk, a browser shows its listing instead of its page"
        return self._in_tree(reference, file, parts.fragment)

    def _own_place(self, address: str) -> tuple[str, str] | None:
        """(tree or "", path) of an absolute address of one of the trees or the collector (""), else None."""
        address = address.split("#", 1)[0].split("?", 1)[0]
        places = [*self.deployment.trees.items(), ("", self.deployment.collector)]
        for place, base in sorted(places, key=lambda item: -len(item[1])):
            if base and (address == base or address.startswith(base + "/")):
                return place, unquote(address[len(base) :])
        return None

    def _absolute(self, reference: Reference, fragment: str) -> str | None:
        own = self._own_place(reference.address)
        if own is None:
            return "leads to another host: a QR code must lead to a page of this site"
        tree, path = own
        if not tree:
            return self._route(reference, path or "/")
        inside = path.lstrip("/")
        return self._in_tree(reference, self._file_of(f"{tree}/{inside}".rstrip("/"), inside), fragment)

    def _root_relative(self, reference: Reference, tree: str, path: str, fragment: str) -> str | None:
        """An address on the pages' own host: the collector's where it shares that host, else the tree's."""
        is_collector_here = not self.deployment.collector
        if is_collector_here and self._route(reference, path) is None:
            return None
        if reference.method != "GET":
            if is_collector_here:
                return self._route(reference, path)
            return f"posts to the pages' own host, but the collector is at {self.deployment.collector}"
        if self.is_local:
            return "starts with '/': read from disk, it names the root of the file system"
        tree_path = urlsplit(self.deployment.trees.get(tree, "")).path.rstrip("/")
        if not path.startswith(tree_path + "/"):
            return f"is neither under the {tree} tree's address ({tree_path}/) nor a collector route"
        inside = unquote(path[len(tree_path) :].lstrip("/"))
        return self._in_tree(reference, self._file_of(f"{tree}/{inside}".rstrip("/"), inside), fragment)

    def _route(self, reference: Reference, path: str) -> str | None:
        """None where a route of the collector answers `path` with the reference's method."""
        scope = {"type": "http", "path": path, "root_path": "", "method": reference.method}
        matches = [route.matches(scope)[0] for route in self.routes]
        if Match.FULL in matches:
            return None
        if Match.PARTIAL in matches:
            return f"the collector's route for {path} does not accept {reference.method}"
        return f"no route of the collector answers {path}"

    def _file_of(self, joined: str, path: str) -> str:
        """The file a resolved path names: itself where built, else a directory's index file (what a server sends)."""
        if joined in self.files and not path.endswith("/"):
            return joined
        if path.endswith("/") or "/" not in joined or f"{joined}/{INDEX_FILE}" in self.files:
            return f"{joined}/{INDEX_FILE}"
        return joined

    def _in_tree(self, reference: Reference, file: str, fragment: str) -> str | None:
        if reference.method != "GET":
            return f"posts to {self.output_name}/{file}, a static file, which cannot take an answer"
        if file not in self.files:
            return f"leads to {self.output_name}/{file}, which is not built"
        if fragment and file in self.pages and unquote(fragment) not in self.pages[file].ids:
            return f"#{fragment}: no element of {self.output_name}/{file} has that id"
        return None

    def _error(self, reference: Reference, problem: str) -> SiteError:
        return SiteError(
            f"{self.output_name}/{reference.page}",
            reference.line,
            reference.col,
            reference.attribute,
            f"{reference.address!r} {problem}",
        )


def check_site_links(site: Site, as_of: dt.date | None = None, is_local: bool = False) -> LinkReport:
    """Render the site in memory exactly as `sitegen build` would (nothing is written) and check its addresses.

    The QR targets are the addresses the build draws the posters from
    (`PagePlan.qr_target`), so what is proved is what is printed.
    """
    from sitegen.build import render_site, today_in  # the build and the collector's routes: only for this check
    from sitegen.collector.app import collector_routes
    from sitegen.render.pages import plan_pages

    started = time.perf_counter()
    day = as_of or today_in(site.config.model.timezone)
    files = render_site(site, as_of=day, is_local=is_local)
    qr_targets = {f"{plan.tree}/{plan.path}": plan.qr_target for plan in plan_pages(site, day) if plan.qr_target}
    output = site.files.output
    output_name = (
        output.relative_to(site.files.root).as_posix() if output.is_relative_to(site.files.root) else str(output)
    )
    checker = LinkChecker(files, collector_routes(site), Deployment.of(site), is_local, output_name)
    report = checker.check(qr_targets)
    report.seconds = time.perf_counter() - started
    return report
