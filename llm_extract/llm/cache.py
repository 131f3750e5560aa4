"""Model answers cached on disk (SQLite), so re-running an eval costs nothing.

Keyed by backend, model, mode, prompt version and the document's hash (and
the request settings that change the answer).  Only real model answers are
cached; a transport failure is not.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from ..config import ConfigError

DEFAULT_PATH = Path(".llm_extract_cache") / "answers.sqlite"


class CacheError(ConfigError):
    """The ``--cache`` file cannot be opened or is not a cache: a setting that cannot be used (one clear line)."""


class AnswerCache:
    def __init__(self, path: Path = DEFAULT_PATH) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            with self._lock, self._db:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        except (OSError, sqlite3.Error) as exc:
            raise CacheError(f"cannot use the answer cache {path}: {getattr(exc, 'strerror', None) or exc}") from None

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO answers (key, value) VALUES (?, ?)",
                             (key, json.dumps(value, ensure_ascii=False)))

    def close(self) -> None:
        with self._lock:
            self._db.close()
