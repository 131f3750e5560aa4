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
        """``"1/4"`` → ``Shard(1, 4)``; a ``ValueError`` that names what is wrong (the form, N, or I)."""
        i, _, n = text.partition("/")
        if not (i.strip().isdigit() and n.strip().isdigit()):
            raise ValueError(f"takes I/N (e.g. 0/4), not {text!r}")
        if int(n) < 1:
            raise ValueError(f"{text}: N (the number of shards) must be at least 1")
        if int(i) >= int(n):
            raise ValueError(f"{text}: I must be in 0..{int(n) - 1}")
        return cls(int(i), int(n))

    def takes(self, doc_id: str) -> bool:
        digest = hashlib.sha256(doc_id.encode("utf-8")).digest()
        return int.from_bytes(digest[:8], "big") % self.count == self.index
