"""Where Tidings keeps its data."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA_DIR = "TIDINGS_DATA_DIR"


def data_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """`override`, else $TIDINGS_DATA_DIR, else the platform's user data folder."""
    if override:
        return Path(override).expanduser()
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("Tidings", appauthor=False, roaming=True))
