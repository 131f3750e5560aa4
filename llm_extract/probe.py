"""Is a backend's server answering?  A quick GET of ``/models`` (stdlib only; the key is never logged)."""

from __future__ import annotations

import urllib.error
import urllib.request

from .config import BackendConfig


def probe(cfg: BackendConfig, timeout: float = 2.0) -> str:
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
