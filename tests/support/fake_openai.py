"""A scripted OpenAI-compatible server on 127.0.0.1 for tests.

It plays the model, faults included: each POST to /v1/chat/completions takes
the next entry of its script (else the default), an action such as
``{"status": 500}``, ``{"status": 429, "retry_after": 1}``, ``{"delay": 5}``,
``{"content": "raw text"}``, ``{"json": {...}}`` (sent as tool-call arguments
when the request offers tools), ``{"body": {...}}`` (the whole answer, as
given: a server whose completions are not the SDK's shape) or
``{"drop": True}`` (connection closed with no answer).  ``"drip": SECONDS`` sends the body one byte every SECONDS, and
with ``"drip_headers": True`` the status line and headers too (a server that
keeps a request alive for ever without tripping a read timeout).  An entry
may be a callable that receives the request body (and, if it takes a second
argument, the request's headers, lower-cased): a server that echoes
``Authorization`` back in its answer is
``lambda body, headers: {"content": headers["authorization"]}``.
"""

from __future__ import annotations

import inspect
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Union

Action = dict[str, Any]
Entry = Union[Action, Callable[..., Action]]  # (body) or (body, headers) -> action


class ScriptedServer:
    def __init__(self, script: list[Entry] | None = None, default: Entry | None = None,
                 models_drip: float = 0.0) -> None:
        self._script = list(script or [])
        self.default = default
        self.models_drip = models_drip  # GET /models answers one byte every this many seconds (headers too)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------
    def __enter__(self) -> "ScriptedServer":
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = _Listener(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "use the server as a context manager"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    @property
    def count(self) -> int:
        with self._lock:
            return len(self.requests)

    def push(self, *actions: Entry) -> None:
        with self._lock:
            self._script.extend(actions)

    def _next(self, body: dict[str, Any], headers: dict[str, str]) -> Action:
        with self._lock:
            self.requests.append({**body, "_headers": headers})
            entry = self._script.pop(0) if self._script else self.default
        if entry is None:
            return {"status": 500}
        if not callable(entry):
            return entry
        return entry(body, headers) if _takes_headers(entry) else entry(body)


def _takes_headers(entry: Callable[..., Action]) -> bool:
    """Whether a scripted callable wants the request's headers as its second argument."""
    try:
        params = inspect.signature(entry).parameters.values()
    except (TypeError, ValueError):
        return False
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) >= 2


class _Listener(ThreadingHTTPServer):
    #: connections waiting to be accepted, as real servers allow (uvicorn 2048): the standard library's 5
    #: drops some of 64 clients connecting at once, and each retries its connection a second later
    request_queue_size = 128


class _Handler(BaseHTTPRequestHandler):
    owner: ScriptedServer
    protocol_version = "HTTP/1.1"
    # As real servers do (uvicorn, llama.cpp): without it the body, written after the headers, waits
    # for the client's delayed ACK of them (Nagle), ~40 ms a request the client would be blamed for.
    disable_nagle_algorithm = True

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None,
              drip: float = 0.0, drip_headers: bool = False) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        if drip:
            self._drip(status, data, headers or {}, drip, drip_headers)
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test): nothing to answer

    def _drip(self, status: int, data: bytes, headers: dict[str, str], every: float, with_headers: bool) -> None:
        """Send the answer one byte every ``every`` seconds (the headers too, or at once)."""
        head = (f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode("latin-1")
        try:
            if not with_headers:
                self.wfile.write(head)
                self.wfile.flush()
            for byte in (head + data if with_headers else data):
                time.sleep(every)
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            self.close_connection = True  # the client gave up, as it should

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "scripted", "object": "model"}]},
                       drip=self.owner.models_drip, drip_headers=True)
        elif self.path.startswith("/health"):
            self._send(200, {"status": "ok"})
        else:
            self._send(404, {"error": {"message": "not found", "type": "not_found"}})

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": "not found", "type": "not_found"}})
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send(400, {"error": {"message": "request is not JSON", "type": "invalid_request_error"}})
            return
        action = self.owner._next(body, {k.lower(): v for k, v in self.headers.items()})
        if action.get("delay"):
            time.sleep(float(action["delay"]))
        if action.get("drop"):
            self.close_connection = True
            self.connection.close()
            return
        status = int(action.get("status", 200))
        if status >= 400:
            headers = {}
            if "retry_after" in action:
                headers["Retry-After"] = str(action["retry_after"])
            if "retry_after_ms" in action:
                headers["retry-after-ms"] = str(action["retry_after_ms"])
            message = action.get("message", f"scripted error {status}")
            self._send(status, {"error": {"message": message, "type": "scripted", "code": status}}, headers)
            return
        if "body" in action:
            self._send(200, action["body"])
            return
        self._send(200, _completion(body, action), drip=float(action.get("drip", 0)),
                   drip_headers=bool(action.get("drip_headers")))


def _completion(body: dict[str, Any], action: Action) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": None}
    finish = "stop"
    if "json" in action:
        arguments = json.dumps(action["json"], ensure_ascii=False)
        tools = body.get("tools") or []
        if tools:
            choice = body.get("tool_choice")
            name = (choice or {}).get("function", {}).get("name") if isinstance(choice, dict) else None
            name = name or tools[0]["function"]["name"]
            message["tool_calls"] = [{"id": "call_1", "type": "function",
                                      "function": {"name": name, "arguments": arguments}}]
            finish = "tool_calls"
        else:
            message["content"] = arguments
    else:
        message["content"] = action.get("content", "")
    p, c = int(action.get("prompt_tokens", 11)), int(action.get("completion_tokens", 7))
    return {
        "id": "chatcmpl-scripted", "object": "chat.completion", "created": int(time.time()),
        "model": body.get("model", "scripted"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c},
    }
