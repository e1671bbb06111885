"""Problems as an owner reads them: each one on its line, missing translations counted per file and language.

A site waiting for its translator has dozens of missing texts; one line per
file and language says what is left without scrolling the rest away.
`verbose` gives every problem its own `file:line:col` line instead.
"""

from __future__ import annotations

from collections.abc import Iterable

from sitegen.errors import SiteError


def report_lines(problems: Iterable[SiteError], *, verbose: bool = False) -> list[str]:
    """The lines that tell `problems`: each on its line, but missing translations counted per file and language."""
    listed = sorted(problems)
    if verbose:
        return [str(problem) for problem in listed]
    groups: dict[tuple[str, str], list[SiteError]] = {}
    for problem in listed:
        if problem.untranslated is not None:
            groups.setdefault((problem.path, problem.untranslated), []).append(problem)
    # A lone missing text keeps its own line: a count would say less in as much space.
    alone = {group[0] for group in groups.values() if len(group) == 1}
    lines = [str(problem) for problem in listed if problem.untranslated is None or problem in alone]
    counted = sorted((key, len(group)) for key, group in groups.items() if len(group) > 1)
    lines += [f"warning: {count} texts in {path} have no {lang} translation" for (path, lang), count in counted]
    if counted:
        lines.append(
            "(--verbose lists each missing translation; 'sitegen translations export --lang LANG' writes them "
            "out for a translator)"
        )
    return lines
