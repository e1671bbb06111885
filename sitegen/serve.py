"""`sitegen serve`: a live preview that rebuilds on every change and reloads open browser tabs.

The preview is built in memory and never touches `output/`. Both trees are
served on one origin (the public site at `/`, the intranet at `/intranet/`)
with the collector beside them, so survey forms work and their answers land
in the project's store. A change that breaks the project keeps the last good
site served and shows the errors in the terminal and over the page.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import mimetypes
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import uvicorn
import watchfiles
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from sitegen.build import RenderCache, render_site
from sitegen.collector.app import ALL_METHODS, Collector, health, submit, utc_now
from sitegen.collector.guards import RateLimiter, SecurityHeaders
from sitegen.collector.invited import invitation_routes
from sitegen.collector.snapshots import ServedSurveys
from sitegen.collector.writer import BatchWriter
from sitegen.errors import ProjectInvalid
from sitegen.incentive_codes import CodeKey
from sitegen.language_choice import CHOICE_COOKIE, preferred_language
from sitegen.project import OUTPUT_DIR
from sitegen.render import INTRANET, PUBLIC
from sitegen.render.write import STAGING_PREFIX
from sitegen.site import FileChanges, ParseCache, Site, load_site
from sitegen.store import ResponseStore
from sitegen.store.engine import database_url

INTRANET_PREFIX = "/intranet"
RELOAD_SCRIPT = b'<script src="/_sitegen/reload.js"></script>'
IGNORED_PARTS = {OUTPUT_DIR, ".git", ".venv", "__pycache__", "node_modules"}
_REPEATED_SLASHES = re.compile(r"/{2,}")
WATCH_STEP_MS = 5
"""How long the watcher waits for more events before it yields a batch: a save is yielded 5-10 ms after it (20-40 ms
with watchfiles' step of 20). A save's events come within a millisecond, and a file's events count once however
many there are, so one save still makes one batch; the 150 ms debounce still bounds a burst."""
WATCHER_WAKE_MS = 500
"""How long the watcher waits for events before it returns with none: its first such return is the moment it is
surely watching, when `Preview.catch_up` finds what was saved during the first build."""
MAX_TRUSTED_CHANGES = 256
"""A batch of more changes is followed by a full scan: only a burst that large can overflow the kernel's queue of
file events, and watchfiles passes no word of an overflow on."""
RELOAD_JS = """\
/* sitegen serve: reload on rebuild, show build errors over the page (injected in preview only). */
(function () {
  var shown = null;
  function overlay(errors) {
    if (shown) shown.remove();
    shown = null;
    if (!errors.length) return;
    shown = document.createElement("div");
    shown.id = "sitegen-errors";
    shown.setAttribute("role", "alert");
    /* Styled through the CSSOM, which the pages' policy allows (a style= attribute it would refuse). */
    shown.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;background:#2b0b0b;" +
      "color:#fff;font:14px/1.5 monospace;padding:1rem 1.25rem;z-index:99999;border-top:4px solid #e5484d;" +
      "white-space:pre-wrap";
    shown.textContent = "sitegen: the last change broke the build; still showing the last good site.\\n\\n" +
      errors.join("\\n");
    document.body.appendChild(shown);
  }
  var version = null;
  var source = new EventSource("/_sitegen/events");
  source.onmessage = function (event) {
    var state = JSON.parse(event.data);
    if (version !== null && state.version !== version && !state.errors.length) { location.reload(); return; }
    version = state.version;
    overlay(state.errors);
  };
})();
"""


class Preview:
    """The latest good build (in memory), the latest errors, and a signal for open tabs."""

    def __init__(self, project: Path, report: Callable[[str], None]) -> None:
        self.project = project
        self.report = report
        self.files: dict[str, bytes] = {}
        self.errors: list[str] = []
        self.version = 0
        self.site: Site | None = None
        self.parsed = ParseCache()
        self.cache = RenderCache()
        self.changed = asyncio.Event()
        self.stopping = asyncio.Event()
        self.rescan = False
        """Whether the next rebuild must look at every file: the last one could not read one (moved mid-save)."""

    def rebuild(self, changes: FileChanges | None = None) -> bool:
        """Build again, reading only the files `changes` name (None: every file whose stamp changed); on failure keep
        serving the last good site and remember the errors. A file that cannot be read (removed or moved while the
        build read it) is such an error too, never the end of the watcher: the next rebuild looks at every file."""
        is_built, message = self._build(changes)
        self.report(message)
        return is_built

    def catch_up(self) -> bool:
        """Build again from every file's stamp once the watcher runs, so that a save made during the first build
        (before the watcher could see it) shows now, not at the next save; said only when something changed."""
        before = (self.files, self.errors)
        _, message = self._build(None)
        is_changed = (self.files, self.errors) != before
        if is_changed:
            self.report(message)
        return is_changed

    def _build(self, changes: FileChanges | None) -> tuple[bool, str]:
        """`rebuild`'s work: whether it built, and what to tell the owner."""
        try:
            site = load_site(self.project, self.parsed, None if self.rescan else changes)
            files = render_site(site, cache=self.cache)
        except ProjectInvalid as invalid:
            self.errors = [str(error) for error in invalid.errors if not error.is_warning] or [
                str(e) for e in invalid.errors
            ]
            return False, "\n".join(self.errors)
        except OSError as unreadable:
            self.rescan = True
            self.errors = [f"{unreadable.filename or self.project}: could not be read ({unreadable.strerror})"]
            return False, self.errors[0]
        self.rescan = False
        self.site, self.files, self.errors = site, files, []
        return True, f"Rebuilt {sum(path.endswith('.html') for path in files)} pages."

    def publish(self) -> None:
        """Tell every open tab about the new state."""
        self.version += 1
        self.changed.set()
        self.changed = asyncio.Event()

    def state(self) -> str:
        return json.dumps({"version": self.version, "errors": self.errors})

    def file(self, path: str) -> tuple[bytes, str] | None:
        """The file a URL path asks for: `/intranet/...` from the intranet tree, anything else from the public one."""
        is_intranet = path == INTRANET_PREFIX or path.startswith(INTRANET_PREFIX + "/")
        tree, rest = (INTRANET, path[len(INTRANET_PREFIX) :]) if is_intranet else (PUBLIC, path)
        if rest == "" and path != "/":
            return None  # `/intranet` is redirected to `/intranet/`, where the intranet's relative links work
        rest = rest.lstrip("/")
        name = f"{rest}index.html" if rest == "" or rest.endswith("/") else rest
        content = self.files.get(f"{tree}/{name}")
        return None if content is None else (content, mimetypes.guess_type(name)[0] or "application/octet-stream")


def keep_out_of_collections() -> None:
    """Leave the first build's objects (templates, the parse cache, pages kept) out of every later collection.

    A rebuild makes a few hundred thousand objects; the cycle collector's full passes then walked every object
    of the first build too, a third of a one-file rebuild at 5,000 pages. What the first build leaves as cyclic
    garbage later is kept once, not per rebuild.
    """
    gc.collect()
    gc.freeze()


def allowed_hosts(host: str) -> list[str]:
    """The `Host:` names the preview answers to: the address it is bound to, and the loopback names.

    Any other name is refused, so a page on another site that rebinds its own
    name to 127.0.0.1 (DNS rebinding) cannot read the preview.
    """
    names = {"127.0.0.1", "localhost", host.lower()}
    if ":" in host:  # an IPv6 address appears in brackets in a Host header (RFC 3986 section 3.2.2)
        names.add(f"[{host.lower()}]")
    return sorted(names)


def canonical_path(path: str) -> str:
    """The path with repeated slashes made one: `//evil/x` must not become a protocol-relative redirect."""
    return _REPEATED_SLASHES.sub("/", path)


def store_file_name(site: Site | None) -> str | None:
    """The file name of a SQLite store inside the project (its -wal and -shm files share it)."""
    if site is None:
        return None
    url = database_url(site.config.model.store, site.files.root)
    return Path(url.database).name if url.drivername.startswith("sqlite") and url.database else None


def with_reload_script(html: bytes) -> bytes:
    """Add the reload script to a preview page (never to built output)."""
    marker = b"</body>"
    return html.replace(marker, RELOAD_SCRIPT + marker, 1) if marker in html else html + RELOAD_SCRIPT


def is_source_change(change: watchfiles.Change, path: str) -> bool:
    """Sources and the store count; the output, caches and staging directories do not."""
    parts = Path(path).parts
    return (
        not (IGNORED_PARTS & set(parts))
        and not any(part.startswith(STAGING_PREFIX) for part in parts)
        and not path.endswith(("-journal", "~"))
    )


def source_filter(current_site: Callable[[], Site | None]) -> Callable[[watchfiles.Change, str], bool]:
    """The watcher's filter: `is_source_change`, outside the caches of the site now served too. A build writes them
    (the preview's own, or `sitegen build` run beside it): a rebuild for that would reload every open tab for
    nothing. The folders follow sitegen.yaml as it is now: a preview started on a broken project, or one whose
    `chart_cache:` moved, leaves out the folders its latest good build writes."""
    resolved_for: list[tuple[Site, tuple[Path, ...]]] = []  # the folders, and the site they were resolved for

    def cache_folders(site: Site) -> tuple[Path, ...]:
        if not resolved_for or resolved_for[0][0] is not site:
            model = site.config.model
            folders = (model.chart_cache, model.answer_cache)
            resolved_for[:] = [(site, tuple((site.files.root / folder).resolve() for folder in folders))]
        return resolved_for[0][1]

    def is_watched(change: watchfiles.Change, path: str) -> bool:
        if not is_source_change(change, path):
            return False
        site = current_site()
        resolved = Path(path).resolve()
        return site is None or not any(resolved.is_relative_to(cache) for cache in cache_folders(site))

    return is_watched


def file_changes(changes: set[tuple[watchfiles.Change, str]]) -> FileChanges | None:
    """A watcher's batch as a rebuild reads it; None (look at every file) for a batch too big to trust."""
    if len(changes) > MAX_TRUSTED_CHANGES:
        return None
    written = frozenset(Path(path) for change, path in changes if change == watchfiles.Change.modified)
    return FileChanges(
        written, frozenset(Path(path) for change, path in changes if change != watchfiles.Change.modified)
    )


def create_preview_app(
    project: Path, report: Callable[[str], None] = print, store_url: str | None = None, host: str = "127.0.0.1"
) -> Starlette:
    """The preview: static files from memory, the collector, live reload, answering only for `host`."""
    project = project.resolve()
    preview = Preview(project, report)

    async def page(request: Request) -> Response:
        path = canonical_path(request.url.path)
        if path in ("/", INTRANET_PREFIX + "/") and preview.site is not None:
            lang = preferred_language(
                preview.site.languages, request.cookies.get(CHOICE_COOKIE), request.headers.get("accept-language")
            )
            headers = {"location": f"{path}{lang}/", "vary": "Accept-Language, Cookie", "cache-control": "no-store"}
            return Response(status_code=302, headers=headers)
        found = preview.file(path)
        if found is None and preview.file(path + "/") is not None:
            return Response(status_code=307, headers={"location": path + "/"})
        if found is not None and path != request.url.path:
            return Response(status_code=308, headers={"location": path})
        if found is None:
            return Response("Not found", status_code=404, media_type="text/plain")
        content, media_type = found
        if media_type == "text/html":
            content = with_reload_script(content)
        return Response(content, media_type=media_type, headers={"cache-control": "no-store"})

    async def events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            while not preview.stopping.is_set():
                yield f"data: {preview.state()}\n\n"
                waiting = [
                    asyncio.ensure_future(preview.changed.wait()),
                    asyncio.ensure_future(preview.stopping.wait()),
                ]
                await asyncio.wait(waiting, timeout=15, return_when=asyncio.FIRST_COMPLETED)
                for task in waiting:
                    task.cancel()
                if await request.is_disconnected():
                    return

        return StreamingResponse(stream(), media_type="text/event-stream", headers={"cache-control": "no-store"})

    async def reload_js(request: Request) -> Response:
        return Response(RELOAD_JS, media_type="text/javascript")

    async def watch(surveys: ServedSurveys, store: ResponseStore) -> None:
        """Rebuild on every source change, and on store changes that added responses.

        Reading the store for the scorecards touches SQLite's side files
        itself, so a store change alone only counts when the number of
        responses moved (the store only ever adds). The first rebuild looks
        at every file (the watcher started after the first build): the
        first event's, or, when the watcher first wakes without one, a
        catch-up that finds what was saved while the first build ran; later
        ones read only the files the watcher names.
        """
        seen = await asyncio.to_thread(store.count)
        store_name = store_file_name(preview.site)
        is_watching = False
        async for changes in watchfiles.awatch(
            project,
            watch_filter=source_filter(lambda: preview.site),
            debounce=150,
            step=WATCH_STEP_MS,
            rust_timeout=WATCHER_WAKE_MS,
            yield_on_timeout=True,
        ):
            if not changes and is_watching:
                continue  # the watcher woke with nothing new
            if not changes:  # its first wake: it surely watches now, so what it missed is found by the stamps
                is_watching, seen = True, await asyncio.to_thread(store.count)
                if await asyncio.to_thread(preview.catch_up):
                    if not preview.errors and preview.site is not None:
                        surveys.install(preview.site)
                    preview.publish()
                continue
            is_store_only = store_name is not None and all(
                Path(path).name.startswith(store_name) for _, path in changes
            )
            count = await asyncio.to_thread(store.count)
            if is_store_only and count == seen:
                continue
            seen = count
            trusted = file_changes(changes) if is_watching else None
            is_watching = True
            if await asyncio.to_thread(preview.rebuild, trusted) and preview.site is not None:
                surveys.install(preview.site)
            preview.publish()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        preview.rebuild()
        keep_out_of_collections()
        site = preview.site or load_site(project)  # the command checked the project before starting
        config = site.config.model
        store = ResponseStore.open(store_url or config.store, site.files.root)
        writer = BatchWriter(store)
        limiter = RateLimiter(config.collector.rate_limit.per_hour, config.collector.rate_limit.burst)
        surveys = ServedSurveys(project, site, utc_now, {PUBLIC: "", INTRANET: INTRANET_PREFIX}, keeper=store)
        # Codes only with the secret the real collector uses; without it the preview thanks as a site without codes.
        app.state.collector = Collector(surveys, store, writer, limiter, utc_now, CodeKey.from_environment())
        watcher = asyncio.create_task(watch(surveys, store))
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            writer.close()
            store.close()

    routes = [
        Route("/s/{survey_id}", submit, methods=ALL_METHODS),
        Route("/healthz", health, methods=["GET", "HEAD"]),
        *invitation_routes(),  # personal links sent from this project's store open here too
        Route("/_sitegen/events", events),
        Route("/_sitegen/reload.js", reload_js),
        Route("/{path:path}", page, methods=["GET", "HEAD"]),
    ]
    middleware = [  # outermost first: a refused host's 400 carries the headers too (guards.SECURITY_HEADERS)
        Middleware(SecurityHeaders),
        Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts(host), www_redirect=False),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.preview = preview
    return app


class _PreviewServer(uvicorn.Server):
    """uvicorn, telling open tabs' event streams to end when Ctrl-C comes (they never hang up themselves)."""

    def __init__(self, config: uvicorn.Config, preview: Preview) -> None:
        super().__init__(config)
        self.preview = preview

    def handle_exit(self, sig: int, frame: object) -> None:
        with contextlib.suppress(RuntimeError):
            asyncio.get_running_loop().call_soon_threadsafe(self.preview.stopping.set)
        super().handle_exit(sig, frame)  # type: ignore[arg-type]


def serve(project: Path, host: str, port: int, report: Callable[[str], None]) -> None:
    """Run the preview until Ctrl-C."""
    app = create_preview_app(project, report, host=host)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", server_header=False, timeout_graceful_shutdown=5
    )
    _PreviewServer(config, app.state.preview).run()
