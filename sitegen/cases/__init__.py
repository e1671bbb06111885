"""Cases: answers that ask for a reply from staff, and the history of that reply.

`model` holds the rules (which step follows which, due and overdue times),
`opening` decides which answers open a case; `sitegen.store.cases` keeps them.
"""

from __future__ import annotations

LOCATION_FIELD = "location"
"""The hidden field a case is filed under: the inbox lists cases by it, figures break down by it."""
