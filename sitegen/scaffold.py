"""`sitegen new`: copy the starter project, a small site that builds as it is."""

from __future__ import annotations

import shutil
from pathlib import Path

from sitegen.editor_schemas import add_modelines, write_schemas
from sitegen.errors import SitegenError

STARTER_DIR = Path(__file__).resolve().parent / "starter"


def create_project(directory: Path) -> list[Path]:
    """Copy the starter project into `directory`, which must be new or empty."""
    if directory.exists() and any(directory.iterdir()):
        raise SitegenError(f"{directory} is not empty; choose a new directory for the project")
    shutil.copytree(STARTER_DIR, directory, dirs_exist_ok=True)
    write_schemas(directory)
    add_modelines(directory)  # the owner's editor completes keys and flags mistakes from the first edit
    return sorted(path for path in directory.rglob("*") if path.is_file())
