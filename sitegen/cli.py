"""The `sitegen` command line: parse options, call one function per command, report.

Known problems (a `SitegenError`) are printed as `file:line:col: field: message`
lines and exit 1; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO, TypeVar, cast
from zoneinfo import ZoneInfo

import click

from sitegen import __version__
from sitegen.build import build_project
from sitegen.deploy.proxy_configs import PROXY_CONFIGS
from sitegen.errors import ProjectInvalid, SiteError, SitegenError
from sitegen.problem_report import report_lines
from sitegen.render.pages import PagePlan
from sitegen.scaffold import create_project
from sitegen.site import load_site
from sitegen.translation_files import FORMATS

if TYPE_CHECKING:
    from sitegen.interchange import Format
    from sitegen.site import Site
    from sitegen.staff.accounts import StaffAccounts

F = TypeVar("F", bound=Callable[..., Any])


def _report(problems: list[SiteError], verbose: bool = False) -> None:
    for line in report_lines(problems, verbose=verbose):
        click.echo(line, err=True)


def _is_verbose() -> bool:
    """Whether the running command was given --verbose (commands without the option never are)."""
    context = click.get_current_context(silent=True)
    return context is not None and bool(context.params.get("verbose"))


def _summary(errors: int, warnings: int) -> str:
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def handle_user_errors(command: F) -> F:
    """Turn sitegen's own errors into clean messages and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ProjectInvalid as invalid:
            _report(invalid.errors, _is_verbose())
            errors = sum(not problem.is_warning for problem in invalid.errors)
            click.secho(
                f"Stopped: {_summary(errors, len(invalid.errors) - errors)}. Nothing was written.", fg="red", err=True
            )
            sys.exit(1)
        except SitegenError as problem:
            click.secho(f"Error: {problem}", fg="red", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _escalate(warnings: list[SiteError], strict: bool, verbose: bool) -> None:
    """Print warnings; with --strict they stop the command like errors."""
    if strict and warnings:
        raise ProjectInvalid(warnings)
    _report(warnings, verbose)


verbose_option = click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="List every missing translation on its own line, not counted per file (check --links: also what was "
    "not fetched).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="sitegen")
@click.option(
    "-C",
    "--project",
    "project",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default="the current directory",
    help="The site project to work on (the directory holding sitegen.yaml).",
)
@click.pass_context
def main(context: click.Context, project: Path) -> None:
    """Build a service-quality program (surveys, standards, onboarding,
    scorecards) from YAML and Markdown into a static site.

    Start with 'sitegen new my-site', edit the YAML files it creates, run
    'sitegen check' to find mistakes and 'sitegen build' to write output/.
    """
    context.obj = project


def _date_only(context: click.Context, parameter: click.Parameter, value: dt.datetime | None) -> dt.date | None:
    return value.date() if value is not None else None


def as_of_option(help_text: str) -> Callable[[F], F]:
    """`--as-of YYYY-MM-DD`, given to the command as a date (None when not given)."""
    return click.option(
        "--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, callback=_date_only, help=help_text
    )


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@handle_user_errors
def new(directory: Path) -> None:
    """Create a new site project in DIRECTORY that builds as it is.

    The project has a vision, a service standard, an onboarding guide, a
    survey, a scorecard and a page in Latvian, Russian and English, ready to
    be edited.
    """
    created = create_project(directory)
    click.echo(f"Created a site project in {directory} ({len(created)} files).")
    click.echo(f"Next: cd {directory} && sitegen build")


@main.command()
@click.option("--modelines", is_flag=True, help="Also start each YAML file with the line naming its schema.")
@click.pass_obj
@handle_user_errors
def schema(project: Path, modelines: bool) -> None:
    """Write the JSON Schema of each kind of file into schemas/, for editors to complete keys and flag mistakes.

    With --modelines each YAML file gets a first line
    '# yaml-language-server: $schema=...' (once) that editors using the YAML
    language server (VS Code's YAML extension and others) read.
    """
    from sitegen.editor_schemas import add_modelines, write_schemas

    written = write_schemas(project)
    click.echo(f"Wrote {len(written)} schemas into {project / 'schemas'}.")
    if modelines:
        changed = add_modelines(project)
        click.echo(f"Added the schema line to {len(changed)} file{'s' * (len(changed) != 1)}.")


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings (such as a missing translation) as errors.")
@click.option(
    "--links",
    "checks_links",
    is_flag=True,
    help="Also render the site in memory and prove every link, form and QR code leads to a built page or a "
    "collector route.",
)
@click.option(
    "--local", "is_local", is_flag=True, help="With --links: check the links as 'sitegen build --local' makes them."
)
@as_of_option("With --links: build the scorecards as of this day, YYYY-MM-DD (default: today in the site's timezone).")
@verbose_option
@click.pass_obj
@handle_user_errors
def check(
    project: Path, strict: bool, checks_links: bool, is_local: bool, as_of: dt.date | None, verbose: bool
) -> None:
    """Validate every file of the project and report all problems at once.

    Each problem is one line 'file:line:col: field: message'; missing
    translations are counted per file and language (--verbose lists each).
    Exits 1 if there is any error (or, with --strict, any warning). With
    --links, each broken link is such a line naming the page (as build would
    write it under output/), and a broken link exits 1 too; nothing is
    written (--verbose also lists the addresses of other hosts, not fetched).
    """
    site = load_site(project)
    _escalate(site.warnings, strict, verbose)
    click.echo(
        f"OK: {len(site.surveys)} surveys, {len(site.standards)} standards, {len(site.guides)} guides, "
        f"{len(site.scorecards)} scorecards, {len(site.pages)} pages; {_summary(0, len(site.warnings))}."
    )
    if checks_links:
        _check_links(site, as_of, is_local, verbose)


def _check_links(site: Site, as_of: dt.date | None, is_local: bool, verbose: bool) -> None:
    from sitegen.link_check import check_site_links

    report = check_site_links(site, as_of, is_local)
    if verbose:
        for address in sorted({reference.address for reference in report.elsewhere}):
            click.echo(f"not fetched: {address}")
    _report(report.broken)
    broken = len(report.broken)
    summary = (
        f"{report.references} addresses on {report.pages} pages ({report.forms} forms, {report.qr_codes} QR codes), "
        f"{len(report.elsewhere)} elsewhere (other hosts, mailto:, tel:) not fetched; "
        f"{broken} broken ({report.seconds:.2f} s)."
    )
    if broken:
        click.secho(f"Links: {summary}", fg="red", err=True)
        sys.exit(1)
    click.echo(f"Links OK: {summary}")


LOCAL_HELP = "Link every page by its index.html, so the output opens from disk (file://) without a web server."


@main.command()
@click.option("--strict", is_flag=True, help="Treat warnings (such as a missing translation) as errors.")
@as_of_option("Scorecards as they stood at the end of this day, YYYY-MM-DD (default: today in the site's timezone).")
@click.option("--local", "is_local", is_flag=True, help=LOCAL_HELP)
@verbose_option
@click.pass_obj
@handle_user_errors
def build(project: Path, strict: bool, as_of: dt.date | None, is_local: bool, verbose: bool) -> None:
    """Build the whole site into output/public and output/intranet.

    The project is checked first; if anything is wrong, nothing is written
    and the previous output stays as it was. With --local, open
    output/intranet/index.html in a browser straight from disk.
    """
    report = build_project(project, progress=_progress_bar, strict=strict, as_of=as_of, is_local=is_local)
    _report(report.warnings, verbose)
    click.echo(
        f"Built {report.pages} pages ({report.files} files) into {report.output} in {report.seconds:.2f} s"
        f"; {_summary(0, len(report.warnings))}."
    )
    if report.signals_queued:
        click.echo(f"Queued alerts of {report.signals_queued} new control-chart signals.")


class Interval(click.ParamType[dt.timedelta, Any]):
    """An interval such as 30s, 10m or 1h (`sitegen.refresh.parse_interval`)."""

    name = "interval"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> dt.timedelta:
        from sitegen.refresh import RefreshError, parse_interval

        if isinstance(value, dt.timedelta):
            return value
        try:
            return parse_interval(str(value))
        except RefreshError as problem:
            self.fail(str(problem), param, ctx)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8001, show_default=True, type=int, help="The port to listen on.")
@click.option(
    "--store",
    "store_url",
    default=None,
    help="A database URL instead of sitegen.yaml's store (sqlite:///..., postgresql://...).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Worker processes (use PostgreSQL or SQLite on one machine).",
)
@click.option(
    "--refresh",
    type=Interval(),
    default=None,
    metavar="INTERVAL",
    help="Keep the built figures current: run 'sitegen refresh' every INTERVAL (30s, 10m, 1h) beside the collector.",
)
@click.pass_obj
@handle_user_errors
def collect(
    project: Path, host: str, port: int, store_url: str | None, workers: int, refresh: dt.timedelta | None
) -> None:
    """Take survey answers: serve POST /s/<survey-id> and GET /healthz.

    Every answer is checked against the survey it belongs to and stored
    durably before the respondent hears back. The alerts of the cases
    answers open (sitegen.yaml's alerts:) are sent in the background. With
    --refresh, a separate process rewrites the pages that show figures when
    new answers came. Stop with Ctrl-C.
    """
    from sitegen.collector.app import serve  # the web stack loads only for this command
    from sitegen.collector.refresher import refreshing
    from sitegen.incentive_codes import required_key

    site = load_site(project)
    required_key(source.model for source in site.surveys)  # refused here, before uvicorn, with a message
    # uvicorn has shut down cleanly and re-raised Ctrl-C; the refresher (once for all workers) stops after it.
    with contextlib.suppress(KeyboardInterrupt), refreshing(project, refresh, store_url):
        serve(project, host, port, store_url, workers, site.config.model)
    click.echo("Collector stopped.", err=True)


@main.command()
@click.option(
    "--every",
    type=Interval(),
    default=None,
    metavar="INTERVAL",
    help="Keep running: refresh now and then every INTERVAL (30s, 10m, 1h) until stopped.",
)
@click.option(
    "--store",
    "store_url",
    default=None,
    help="A database URL instead of sitegen.yaml's store (sqlite:///..., postgresql://...).",
)
@as_of_option("Figures as they stood at the end of this day, YYYY-MM-DD (default: today; not with --every).")
@click.pass_obj
@handle_user_errors
def refresh(project: Path, every: dt.timedelta | None, store_url: str | None, as_of: dt.date | None) -> None:
    """Rewrite the built pages and data files that show scorecard figures, if answers came since the last build.

    Only files whose content changed are written, each replaced atomically;
    the rest of output/ stays as 'sitegen build' left it. Run it from cron,
    or with --every as a service (SIGTERM stops it between two runs).
    """
    import signal
    import threading

    from sitegen.refresh import Refresher, RefreshError

    refresher = Refresher(project, store_url)
    if every is None:
        for line in refresher.run_once(as_of) or ["Figures are current."]:
            click.echo(line, err=True)
        return
    if as_of is not None:
        raise RefreshError("--as-of makes one refresh of a past day; it does not go with --every")
    stopping = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stopping.set())
    refresher.run_every(every, stopping, lambda line: click.echo(line, err=True))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="The port to listen on.")
@verbose_option
@click.pass_obj
@handle_user_errors
def serve(project: Path, host: str, port: int, verbose: bool) -> None:
    """Preview the site while you edit it: rebuilds on every change and reloads the browser.

    The public site is at http://HOST:PORT/, the intranet at /intranet/, and
    survey forms post to the collector on the same address (answers go to the
    project's store). output/ is left alone. Stop with Ctrl-C.
    """
    from sitegen.serve import serve as run_preview  # the web stack loads only for this command

    _report(load_site(project).warnings, verbose)
    click.echo(
        f"Previewing {project.resolve()} at http://{host}:{port}/ (intranet: /intranet/). Ctrl-C stops.", err=True
    )
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn has shut down cleanly and re-raised Ctrl-C
        run_preview(project, host, port, report=lambda message: click.echo(message, err=True))
    click.echo("Preview stopped.", err=True)


@main.command()
@click.option("--dry-run", is_flag=True, help="Count what would be deleted, and delete nothing.")
@as_of_option("Purge as at the end of this day, YYYY-MM-DD, in the site's timezone (default: now).")
@click.pass_obj
@handle_user_errors
def purge(project: Path, dry_run: bool, as_of: dt.date | None) -> None:
    """Delete the responses and contacts that are past their survey's retention (surveys' and sitegen.yaml's
    'retention:'); a second run deletes nothing. Meant for a daily cron job."""
    from sitegen.interchange import open_store
    from sitegen.retention import purge as purge_store
    from sitegen.retention import purge_moment

    site = load_site(project)
    with open_store(site) as store:
        report = purge_store(store, site, purge_moment(site, as_of), dry_run=dry_run)
    for line in report.lines():
        click.echo(line)


def _progress_bar(plans: Iterable[PagePlan]) -> Iterable[PagePlan]:
    """Show a progress bar on a terminal; stay quiet in logs and pipes."""
    if not sys.stderr.isatty():
        yield from plans
        return
    with click.progressbar(list(plans), label="Rendering", file=sys.stderr, show_pos=True) as bar:
        yield from bar


@contextlib.contextmanager
def _import_progress(files: list[Path]) -> Iterator[Callable[[int], None] | None]:
    """A progress bar of the lines read, on a terminal; nothing (None) in logs and pipes."""
    if not sys.stderr.isatty():
        yield None
        return
    from sitegen.interchange import line_count

    with click.progressbar(length=line_count(files), label="Importing", file=sys.stderr, show_pos=True) as bar:
        yield bar.update


@main.group()
def responses() -> None:
    """Import and export the stored survey responses (JSON Lines or CSV)."""


@responses.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--skip-invalid", is_flag=True, help="Import the valid lines and report the others, instead of importing nothing."
)
@click.option(
    "--open-cases", is_flag=True, help="Open a case for each new response its survey's follow_up asks one for."
)
@click.pass_obj
@handle_user_errors
def import_(project: Path, files: tuple[Path, ...], skip_invalid: bool, open_cases: bool) -> None:
    """Import responses from JSON Lines (.jsonl, .json) or CSV (.csv) FILES.

    Every line is checked against its survey like an answer from the form;
    each bad line is reported as 'file:line: message'. While any line is
    invalid nothing is imported, unless --skip-invalid. Importing the same
    responses again adds nothing: they are matched by id (a line without an
    id gets one made from its content).
    """
    from sitegen.interchange import (
        import_responses,
        open_store,
    )  # the store (SQLAlchemy, pandas) loads only for these commands

    site = load_site(project)
    with open_store(site) as store, _import_progress(list(files)) as progress:
        report = import_responses(
            site, store, list(files), skip_invalid=skip_invalid, open_cases=open_cases, progress=progress
        )
    for problem in report.problems:
        click.echo(str(problem), err=True)
    if report.is_refused:
        click.secho(report.refusal(), fg="red", err=True)
        sys.exit(1)
    click.echo(report.summary())


@responses.command("export")
@click.option("--survey", "survey_id", metavar="ID", help="Only the responses to this survey.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    default="jsonl",
    show_default=True,
    help="JSON Lines, CSV with a column per question, or a Parquet dataset (a folder) with typed columns.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="Write to FILE (replaced only when complete) instead of standard output; for parquet, a new FOLDER.",
)
@click.pass_obj
@handle_user_errors
def export(project: Path, survey_id: str | None, file_format: Format | Literal["parquet"], output: Path | None) -> None:
    """Write the stored responses out, oldest first, in the format 'responses import' reads (or as Parquet)."""
    from sitegen.interchange import export_responses, open_store

    if file_format == "parquet" and output is None:
        raise click.UsageError("--format parquet writes a folder: give it with --output FOLDER")
    if file_format != "parquet" and output is not None and output.is_dir():
        raise click.UsageError(f"--output {output} is a folder; --format {file_format} writes a file")
    site = load_site(project)
    if file_format == "parquet":
        from sitegen.parquet_export import export_parquet

        with open_store(site) as store:
            written = export_parquet(site, store, cast(Path, output), survey_id=survey_id)
    else:
        with (
            open_store(site) as store,
            click.open_file(str(output or "-"), "w", encoding="utf-8", atomic=output is not None) as stream,
        ):
            written = export_responses(site, store, cast(TextIO, stream), survey_id=survey_id, file_format=file_format)
    click.echo(f"Exported {written} response{'s' * (written != 1)}{f' to {output}' if output else ''}.", err=True)


@responses.command("erase")
@click.argument("code")
@click.pass_obj
@handle_user_errors
def erase(project: Path, code: str) -> None:
    """Erase the answer that an incentive CODE was shown for, and its case: a respondent's erasure request.

    Needs the SITEGEN_SECRET the collector made the code with. Asking again says the answer is gone already.
    """
    from sitegen.incentive_codes import secret_key
    from sitegen.interchange import open_store

    key = secret_key()
    with open_store(load_site(project)) as store:
        erasure = store.codes.erase(key, code)
    if erasure.was_erased_before:
        click.echo(f"The answer to {erasure.survey_id} with this code was erased before; nothing is left to erase.")
        return
    case = " and its case" if erasure.removed_case else ""
    click.echo(f"Erased the answer to {erasure.survey_id} with this code{case}.")


@responses.command("versions")
@click.option("--survey", "survey_id", metavar="ID", help="Only this survey's questions.")
@click.pass_obj
@handle_user_errors
def versions(project: Path, survey_id: str | None) -> None:
    """List, per survey and question, each version of its meaning the stored answers have, with their count and the
    days of the first and last of them (the site's timezone)."""
    from sitegen.edits import question_histories
    from sitegen.interchange import open_store

    site = load_site(project)
    zone = ZoneInfo(site.config.model.timezone)
    surveys = [survey_id] if survey_id else [source.model.id for source in site.surveys]
    with open_store(site) as store:
        rows = question_histories(store, surveys)
    table = [("survey", "question", "version", "answers", "first", "last")]
    table += [
        (row.survey_id, row.question_id, row.version, f"{row.answers}", _day(row.first, zone), _day(row.last, zone))
        for row in rows
    ]
    _echo_table(table)


def _echo_table(table: Sequence[tuple[str, ...]]) -> None:
    """Rows of cells in columns as wide as their widest cell; the first row names them."""
    widths = [max(len(line[column]) for line in table) for column in range(len(table[0]))]
    for line in table:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())


@main.group()
def translations() -> None:
    """Hand the texts a language lacks to a translator (PO or CSV), and put the filled file back in place."""


@translations.command("export")
@click.option("--lang", required=True, help="The language the texts lack, one of sitegen.yaml's languages.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(sorted(FORMATS)),
    default=None,
    help="PO (for Poedit, Weblate, Lokalize) or CSV (for a spreadsheet). Default: from --output's suffix, else po.",
)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Write to FILE instead of standard output."
)
@click.pass_obj
@handle_user_errors
def export_texts(project: Path, lang: str, file_format: str | None, output: Path | None) -> None:
    """Write every text that has no LANG translation, with its source text, file, field and line, for a
    translator to fill; 'sitegen translations import FILE' puts the translations into the YAML files."""
    from sitegen.translating import export_translations

    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    chosen = FORMATS[file_format or (suffix if suffix in FORMATS else "po")]
    entries = export_translations(load_site(project), lang)
    with click.open_file(str(output or "-"), "wb", atomic=output is not None) as stream:
        stream.write(chosen.write(entries, lang))
    if output is not None:
        click.echo(f"Wrote {len(entries)} text{'s' * (len(entries) != 1)} without a {lang} translation to {output}.")


@translations.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(sorted(FORMATS)),
    default=None,
    help="The file's format. Default: from its suffix (.po, .csv).",
)
@click.pass_obj
@handle_user_errors
def import_texts(project: Path, file: Path, file_format: str | None) -> None:
    """Put the translations filled in FILE (from 'sitegen translations export') into the project's files, in
    place: comments, key order, quoting and layout stay. Nothing is written if any entry does not fit."""
    from sitegen.translating import import_translations

    name = file_format or file.suffix.lower().lstrip(".")
    if name not in FORMATS:
        raise click.UsageError(f"{file}: say which format it is with --format ({', '.join(sorted(FORMATS))})")
    report = import_translations(load_site(project), file, FORMATS[name])
    for line in report.lines():
        click.echo(line)


@main.group()
def cases() -> None:
    """Work with the cases answers open (the surveys' follow_up)."""


@cases.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@handle_user_errors
def import_cases(project: Path, file: Path) -> None:
    """Take the case steps of a JSON Lines FILE (contacted, resolved, dismissed), each on the case its response
    opened; a step taken already is skipped, and nothing is taken while a line is invalid."""
    from sitegen.cases.steps_file import import_steps
    from sitegen.interchange import open_store

    site = load_site(project)
    with open_store(site) as store:
        report = import_steps(store.cases, file)
    for problem in report.problems:
        click.echo(problem, err=True)
    click.echo(f"Took {report.taken} case steps; {report.skipped} taken already.")
    if report.problems:
        sys.exit(1)


def _day(moment: dt.datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).date().isoformat() if moment else "-"


@main.group()
def staff() -> None:
    """Manage the staff accounts that sign in to the collector's /staff/ pages and intranet."""


def _staff_accounts(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run `command(site, accounts, ...)` with the project's site and the accounts in its store."""

    @functools.wraps(command)
    def wrapper(project: Path, *args: Any, **kwargs: Any) -> Any:
        from sitegen.interchange import open_store
        from sitegen.staff.accounts import StaffAccounts

        site = load_site(project)
        with open_store(site) as store:
            return command(site, StaffAccounts(store.engine), *args, **kwargs)

    return wrapper


def _new_password(from_stdin: bool) -> str:
    """A password from one line of standard input (scripts), or typed twice without echo."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


PASSWORD_STDIN = click.option(
    "--password-stdin", "from_stdin", is_flag=True, help="Read the password from one line of standard input."
)


@staff.command("add")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(["owner", "manager", "staff"]), required=True, help="What the account may do."
)
@click.option(
    "--location",
    "locations",
    multiple=True,
    metavar="LOCATION",
    help="A location the account sees (repeat for more): a value of the surveys' hidden 'location' field.",
)
@PASSWORD_STDIN
@click.pass_obj
@handle_user_errors
@_staff_accounts
def staff_add(
    site: Site, accounts: StaffAccounts, email: str, role: str, locations: tuple[str, ...], from_stdin: bool
) -> None:
    """Add a staff account for EMAIL; asks for its password twice (at least 12 characters).

    An owner sees every location and is given none; a manager needs at least
    one --location; staff may have locations or none.
    """
    from sitegen.staff.accounts import new_member, site_locations
    from sitegen.staff.auth import hash_password

    member = new_member(email, role, locations, site_locations(site))
    accounts.check_absent(member.email)
    accounts.add(member, hash_password(_new_password(from_stdin)), dt.datetime.now(dt.UTC))
    click.echo(f"Added {member.email} ({member.role}).")


@staff.command("list")
@click.pass_obj
@handle_user_errors
@_staff_accounts
def staff_list(site: Site, accounts: StaffAccounts) -> None:
    """List the staff accounts: e-mail, role and locations (never a password hash)."""
    table = [("email", "role", "locations")]
    table += [
        (m.email, m.role, "all" if m.sees_everything else ", ".join(m.locations) or "-") for m in accounts.members()
    ]
    _echo_table(table)


@staff.command("remove")
@click.argument("email")
@click.pass_obj
@handle_user_errors
@_staff_accounts
def staff_remove(site: Site, accounts: StaffAccounts, email: str) -> None:
    """Remove EMAIL's account and sign it out everywhere."""
    accounts.remove(email)
    click.echo(f"Removed {email.strip().lower()}; its sessions have ended.")


@staff.command("passwd")
@click.argument("email")
@PASSWORD_STDIN
@click.pass_obj
@handle_user_errors
@_staff_accounts
def staff_passwd(site: Site, accounts: StaffAccounts, email: str, from_stdin: bool) -> None:
    """Give EMAIL's account a new password (this also unlocks it) and sign it out everywhere."""
    from sitegen.staff.accounts import StaffError
    from sitegen.staff.auth import hash_password

    if accounts.credentials(email) is None:  # before asking for a password
        raise StaffError(f"{email.strip().lower()} has no account")
    accounts.set_password(email, hash_password(_new_password(from_stdin)), end_sessions=True)
    click.echo(f"Changed the password of {email.strip().lower()}; its sessions have ended.")


@main.group()
def alerts() -> None:
    """Send the alerts queued in the store (cases opened, control-chart signals); see README "Alerts and digests"."""


@alerts.command("send")
@click.pass_obj
@handle_user_errors
def alerts_send(project: Path) -> None:
    """Deliver every alert that is due once (for cron; 'sitegen collect' also sends them as they come).

    A failed delivery is tried again later, each wait twice the one before; one delivered is never sent again.
    """
    from sitegen.alerts.sender import AlertSender
    from sitegen.interchange import open_store
    from sitegen.store.outbox import Outbox

    site = load_site(project)
    with open_store(site) as store:
        sender = AlertSender(site, Outbox(store.engine))
        try:
            report = sender.send_due()
        finally:
            sender.close()
    for error in report.errors:
        click.echo(error, err=True)
    click.echo(report.summary())


@alerts.command("list")
@click.pass_obj
@handle_user_errors
def alerts_list(project: Path) -> None:
    """List the alerts kept in the store, oldest first: each recipient's status, tries and last error."""
    from sitegen.alerts.sender import delivery_rows
    from sitegen.interchange import open_store
    from sitegen.store.outbox import Outbox

    site = load_site(project)
    with open_store(site) as store:
        rows = delivery_rows(Outbox(store.engine))
    _echo_table([("queued", "alert", "recipient", "status", "tries", "last error"), *rows])


@main.command()
@click.argument("survey_id", metavar="SURVEY", required=False)
@click.option(
    "--to",
    "invitee_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A CSV of invitees (email, language and hidden-field columns): invite each one not invited yet.",
)
@click.option("--remind", is_flag=True, help="Remind the invitees who have not answered yet (once a day at most).")
@click.option(
    "--bounced",
    "bounced_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Addresses that bounced (one a line, or a CSV with an email column): never e-mail them again.",
)
@click.pass_obj
@handle_user_errors
def invite(
    project: Path, survey_id: str | None, invitee_file: Path | None, remind: bool, bounced_file: Path | None
) -> None:
    """E-mail each invitee of a SURVEY a personal link with the survey's deadline, or remind those who have not
    answered; or mark addresses that bounced. Needs alerts.smtp and SITEGEN_SECRET.

    Cron for reminders, e.g. each Monday at 9: sitegen invite staff-survey --remind
    """
    from sitegen.build import today_in
    from sitegen.interchange import open_store
    from sitegen.invitations import mailing
    from sitegen.invitations.roster import read_addresses, read_invitees
    from sitegen.invitations.tokens import InvitationKey
    from sitegen.store.invitations import BOUNCED

    site = load_site(project)
    if bounced_file is not None:
        addresses = read_addresses(bounced_file, str(bounced_file))
        with open_store(site) as store:
            marked = store.invitations.opt_out(addresses, BOUNCED, today_in(site.config.model.timezone))
        click.echo(f"Marked {marked} new bounced address{'es' * (marked != 1)}; they get no more invitations.")
    if survey_id is None:
        if bounced_file is None:
            raise click.UsageError("name a SURVEY with --to or --remind, or give --bounced FILE")
        return
    if (invitee_file is None) == (not remind):
        raise click.UsageError("give either --to FILE.csv or --remind")
    survey = mailing.survey_named(site, survey_id)
    key = InvitationKey.from_environment()
    mailer = mailing.Mailer.of(site, dt.datetime.now(dt.UTC))
    with open_store(site) as store:
        if invitee_file is not None:
            invitees = read_invitees(invitee_file, str(invitee_file), survey, site.languages)
            sent = mailing.invite(mailer, store.invitations, key, survey, invitees)
        else:
            sent = mailing.remind(mailer, store.invitations, key, survey)
    what = "reminder" if remind else "invitation"
    click.echo(f"Sent {sent.sent} {what}{'s' * (sent.sent != 1)} for {survey.id}.")
    for address, reason in sent.failed:
        click.echo(f"not sent to {address}: {reason} (run again to retry)", err=True)
    if sent.failed:
        sys.exit(1)


@main.command()
@click.option("--send", "is_sending", is_flag=True, help="Send each digest through alerts.smtp instead of showing it.")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write each digest to DIR as <address>.txt and <address>.html instead of standard output.",
)
@as_of_option("The day the digest's week ends, YYYY-MM-DD (default: today in the site's timezone).")
@click.pass_obj
@handle_user_errors
def digest(project: Path, is_sending: bool, output: Path | None, as_of: dt.date | None) -> None:
    """Make the weekly digest of the built scorecards' figures for each of alerts.digest.to, in their language.

    It reads output/intranet/scorecards/*/scorecard.json: run 'sitegen build' first (cron: build, then digest).
    """
    from sitegen.alerts.digest import digest_mails, send_digests, write_digests
    from sitegen.build import today_in

    site = load_site(project)
    mails = digest_mails(site, as_of or today_in(site.config.model.timezone))
    if is_sending:
        sent = send_digests(site, mails, dt.datetime.now(dt.UTC))
        click.echo(f"Sent the digest to {sent} recipient{'s' * (sent != 1)}.")
    elif output is not None:
        written = write_digests(mails, output)
        click.echo(f"Wrote {len(written)} files to {output}.")
    else:
        for mail in mails:
            click.echo(f"To: {mail.recipient.address} ({mail.recipient.lang})\n\n{mail.message.text}")


@main.command()
@click.option("--rollback", is_flag=True, help="Switch each target back to the release before its current one.")
@click.option(
    "--print-config",
    "config_kind",
    type=click.Choice(list(PROXY_CONFIGS)),
    default=None,
    help="Write ready configuration for the proxy (nginx, caddy) or the collector's service (systemd) and stop.",
)
@click.pass_obj
@handle_user_errors
def deploy(project: Path, rollback: bool, config_kind: str | None) -> None:
    """Put output/public and output/intranet where they are served (sitegen.yaml's deploy:).

    Each tree is copied to its target as a new release (releases/<UTC stamp>/) and only then made current, by
    renaming a new 'current' symlink over the old one; the newest deploy.keep releases are kept for --rollback.
    """
    from sitegen.deploy.proxy_configs import proxy_warnings, render_config
    from sitegen.deploy.publishing import Outcome, deploy_site, roll_back_site

    site = load_site(project)

    def report(outcome: Outcome) -> None:
        click.echo(outcome.line())

    if config_kind is not None:
        for warning in proxy_warnings(site):
            click.secho(f"Warning: {warning}", fg="yellow", err=True)
        click.echo(f"# save as {PROXY_CONFIGS[config_kind].saved_as}", err=True)
        click.echo(render_config(site, config_kind), nl=False)
    elif rollback:
        roll_back_site(site, report)
    else:
        deploy_site(site, lambda: dt.datetime.now(dt.UTC), report)
