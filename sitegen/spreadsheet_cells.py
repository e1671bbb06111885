"""Cells written for spreadsheets (the responses' CSV export, the translators' CSV): none is run as a formula."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet reads as the start of a formula (OWASP, "CSV Injection": https://owasp.org/www-community/attacks/CSV_Injection)."""
TEXT_MARK = "'"
"""The prefix OWASP recommends: a spreadsheet shows the cell as text and hides the mark."""


def neutralised(cell: str) -> str:
    """A cell no spreadsheet runs: `'` before one that starts a formula, and before one that starts with `'`.

    Marking the mark too keeps it reversible: `restored` takes exactly one `'` off a cell that has one, so a
    text answer that really begins with `'` or `'=` comes back as it was.
    """
    return TEXT_MARK + cell if cell.startswith((*FORMULA_STARTS, TEXT_MARK)) else cell


def restored(cell: str) -> str:
    """The cell `neutralised` was given."""
    return cell.removeprefix(TEXT_MARK)
