"""Model answers built from the rules backend's reading, for the LLM tests.

``faithful_answer`` is what a perfect model would say (each value with a
quote copied from the notice); tests then corrupt it in the ways models do.
"""

from __future__ import annotations

from typing import Any

from llm_extract.rules import extract


def faithful_answer(text: str) -> dict[str, Any]:
    ex = extract(text)
    evidence = ex.evidence_json()

    def convert(node: dict[str, Any], prefix: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.items():
            path = prefix + key
            if key in ("sections", "phones", "emails"):
                out[key] = value
            elif isinstance(value, dict):
                out[key] = convert(value, path + ".")
            elif value is None:
                out[key] = None
            else:
                span = evidence[path]
                if isinstance(value, (int, float)):  # a count's quote shows its words
                    quote = text[max(0, span["start"] - 8):span["end"] + 8]
                else:
                    quote = span["quote"]
                out[key] = {"value": value, "quote": quote}
        return out

    return convert(ex.record_json())


def invented_answer() -> dict[str, Any]:
    """Schema-valid and confident, and not in any notice."""
    g = lambda v, q: {"value": v, "quote": q}  # noqa: E731
    return {
        "title": g("关于虚构事项的通报", "关于虚构事项的通报"),
        "issuer": g("中共虚构市委", "中共虚构市委"),
        "target": g("虚构市", "对虚构市开展了巡视"),
        "inspection_body": g("省委第九十九巡视组", "省委第九十九巡视组"),
        "team_number": g(99, "省委第九十九巡视组"),
        "inspection_type": g("special", "专项巡视"),
        "inspection_start": g("2001-01-01", "2001年1月1日"),
        "plan": {"problems": g(777, "777个具体问题"), "measures": g(888, "888条整改措施")},
        "outcomes": {"party_discipline": g(9999, "党纪处分9999人"), "funds_returned": g(123456789, "清退款项12345.6789万元")},
        "sections": [{"title": "虚构的问题", "items": ["虚构的条目"]}],
        "contact": {"phones": ["010-99999999"], "emails": ["fake@example.com"]},
    }
