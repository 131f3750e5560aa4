"""A module whose import waits until a gate file exists (its path in ``LLM_EXTRACT_TEST_GATE``): a slow import, on cue."""

import os
import time
from pathlib import Path

_GATE = Path(os.environ["LLM_EXTRACT_TEST_GATE"])
while not _GATE.exists():
    time.sleep(0.02)
