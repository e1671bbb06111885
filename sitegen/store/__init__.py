"""The response store: every survey response kept once, durably, in SQLite or PostgreSQL.

SQLAlchemy Core, one schema for both back ends (docs/DESIGN.md section 6)::

    store = ResponseStore.open(site.config.model.store, site.files.root)
    store.add([StoredResponse(...), ...])      # one transaction; True per new id
    with store.transaction() as add:           # one transaction for many batches
        add([...]); add([...])
    for response in store.responses("after-visit"):
        ...
    store.close()
"""

from __future__ import annotations

from sitegen.store.anonymity import is_anonymous_key
from sitegen.store.engine import StoreError
from sitegen.store.responses import (
    Field,
    PreparedRow,
    ResponseStore,
    StoredResponse,
    UnstorableResponse,
    check_storable,
    is_refusal,
)

__all__ = [
    "Field",
    "PreparedRow",
    "ResponseStore",
    "StoreError",
    "StoredResponse",
    "UnstorableResponse",
    "check_storable",
    "is_anonymous_key",
    "is_refusal",
]
