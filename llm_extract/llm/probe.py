"""Is a backend's server answering?  A quick GET of ``/models`` (stdlib only; the key is never logged)."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request

from ..config import BackendConfig


def probe(cfg: BackendConfig, timeout: float = 2.0) -> str:
    """The server's state in words, within ``timeout`` seconds in all.

    urllib's timeout bounds each read, not the answer: a server sending a
    byte a second would hold ``llm-extract backends`` for ever, so the GET
    runs in a daemon thread that is abandoned at the deadline.
    """
    answer = [f"not answering (no answer within {timeout:g} s)"]
    thread = threading.Thread(target=lambda: answer.__setitem__(0, _get_models(cfg, timeout)), daemon=True)
    thread.start()
    thread.join(timeout)
    return answer[0]


def _get_models(cfg: BackendConfig, timeout: float) -> str:
    request = urllib.request.Request(cfg.base_url.rstrip("/") + "/models")
    key = cfg.api_key()
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - configured URL
            return "answering" if response.status == 200 else f"answering, HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return f"answering, HTTP {exc.code}"
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return f"not answering ({type(reason).__name__})"


def backend_status(cfg: BackendConfig, *, probe_server: bool = True) -> dict[str, object]:
    """What ``llm-extract backends`` shows of one backend: its key variable's state, its server's, usable or not."""
    needs_key = bool(cfg.api_key_env) and not cfg.api_key()
    server = "not probed" if not probe_server or needs_key else probe(cfg)
    return {
        "name": cfg.name, "model": cfg.model, "base_url": cfg.base_url, "mode": cfg.mode,
        "key": "not needed" if not cfg.api_key_env else f"{cfg.api_key_env} {'unset' if needs_key else 'set'}",
        "key_missing": needs_key, "server": server,
        "usable": not needs_key and (not probe_server or server == "answering"),
    }
