"""A module whose import waits until a gate file exists (its path in ``LLM_EXTRACT_TEST_GATE``): a slow import, on cue.

It waits at most a minute, so a test that fails before opening the gate leaves no process waiting for ever.
"""

import os
import time
from pathlib import Path

_GATE = Path(os.environ["LLM_EXTRACT_TEST_GATE"])
_GIVE_UP = time.monotonic() + 60
while not _GATE.exists() and time.monotonic() < _GIVE_UP:
    time.sleep(0.02)
