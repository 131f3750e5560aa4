"""Run a real llama.cpp server (the ``xllamacpp`` wheel) on 127.0.0.1 until killed.

Usage: python tests/support/llama_server.py PORT MODEL.gguf.  The test fixture starts
it as a subprocess so a crash in native code cannot take pytest down with it.
"""

from __future__ import annotations

import signal
import sys
import time

import xllamacpp


def main() -> None:
    port, model = int(sys.argv[1]), sys.argv[2]
    params = xllamacpp.CommonParams()
    params.model.path = model
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.n_ctx = 8192
    params.n_parallel = 1
    params.cpuparams.n_threads = 2
    params.cpuparams_batch.n_threads = 2
    params.use_jinja = True
    params.warmup = False
    server = xllamacpp.Server(params)
    print(f"listening {server.listening_address}", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
