"""``--shard I/N``: the same split of a corpus on every machine."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass
class Shard:
    """``--shard I/N``: this machine takes the documents whose id hashes to I modulo N."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> "Shard":
        try:
            i, n = (int(x) for x in text.split("/"))
        except ValueError:
            raise ValueError(f"--shard takes I/N (e.g. 0/4), not {text!r}") from None
        if n < 1 or not 0 <= i < n:
            raise ValueError(f"--shard {text}: I must be in 0..N-1")
        return cls(i, n)

    def takes(self, doc_id: str) -> bool:
        digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index
