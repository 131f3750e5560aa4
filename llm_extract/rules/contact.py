"""The notice's own feedback channel (联系方式), never the web page's."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from ..record import Draft
from .layout import Layout

if TYPE_CHECKING:
    from .landmarks import Landmarks

_CHANNEL = re.compile(r"联系方式|联系电话|举报电话|监督电话|咨询电话|电话|邮政信箱|通信地址|通讯地址|来信地址|电子邮箱|电子信箱|邮箱|网上举报|举报网站|网址")
_PAGE_CHROME = re.compile(r"侵权|版权|Copyright|©|ICP|备案|技术支持|主办单位|承办|网站标识|地址:.{0,80}邮编.{0,80}电话.{0,80}(?:传真|版权)")
_INVITATION = re.compile(r"(?:意见建议|意见和建议|监督|反映|反馈)")
# Every repetition below is bounded and every run-matching pattern starts only where its run starts,
# so a 20,000-character run of digits or letters costs a bounded attempt per position (linear time).
PHONE = re.compile(r"(?<![\d-])(?:\(0\d{2,3}\)\s{0,3}\d{7,8}|0\d{2,3}[-\u2014\u2013]?\d{5,8}|1[3-9]\d{9}|12388)(?![\d-])")
EMAIL = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,120}\.[A-Za-z]{2,12}")
_ADDRESS = re.compile(
    r"(?:邮政信箱|通信地址|通讯地址|来信地址|邮寄地址|信箱|地址)\s{0,3}[:]?\s{0,3}(?P<addr>[^;。]{1,100}?)\s{0,3}"
    r"(?=[;。]|$|[,、]?\s{0,3}(?:电子|联系|网上|举报|电话|邮箱|网址)|[,、]\s{0,3}(?:来信|通信|通讯|邮寄)地址)"
)
_POSTCODE = re.compile(r"\s{0,3}[(,]?\s{0,3}(?:邮编|邮政编码)\s{0,3}[:]?\s{0,3}\d{6}\s{0,3}\)?\s{0,3}$")
_WEBSITE = re.compile(
    r"(?:网上举报|举报网站|网址|网站|网上信访|网络举报)\s{0,3}[:]?\s{0,3}"
    r"(?P<url>(?:https?://)?[A-Za-z0-9][A-Za-z0-9.-]{0,120}\.[A-Za-z]{2,12}(?:/[\w./?=&%-]{0,200})?)"
)
_URL = re.compile(r"(?<![A-Za-z0-9./-])(?:https?://)?(?:www\.)?[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,6}\.(?:cn|com|net|org|gov)"
                  r"(?:/[\w./?=&%-]{0,200})?")


def find_contact_line(layout: Layout, body_start: int) -> tuple[int, int] | None:
    """The last paragraph that invites feedback and names a channel, skipping page chrome."""
    key = f"contact:{body_start}"
    if key not in layout.memo:
        layout.memo[key] = _find_contact_line(layout, body_start)
    return layout.memo[key]  # type: ignore[return-value]


def _find_contact_line(layout: Layout, body_start: int) -> tuple[int, int] | None:
    candidates = []
    previous = ""
    for line in layout.lines:
        text, before = line.text, previous
        previous = text
        if line.end <= body_start:
            continue
        if _PAGE_CHROME.search(text) or not _CHANNEL.search(text):
            continue
        if not (PHONE.search(text) or EMAIL.search(text) or "信箱" in text or "地址" in text):
            continue
        # the notice invites feedback on this line or the one before; a site's footer does not
        score = 2 if _INVITATION.search(text) or _INVITATION.search(before) else 0
        score += 1 if re.search(r"联系方式|邮政信箱|电子邮箱", text) else 0
        candidates.append((score, line.start, line.end))
    if not candidates:
        return None
    best = max(c[0] for c in candidates)
    if best < 2:
        return None  # channels with no invitation: page chrome, not the notice's contact
    _, start, end = [c for c in candidates if c[0] == best][-1]
    # The channels may run on into the next lines (one per line).
    return start, end


def _extract_address(layout: Layout, draft: Draft, lo: int, hi: int) -> None:
    """The first labelled postal address in [lo, hi), without its postcode.

    An e-mail box labelled 电子信箱 before it ("电子信箱:x@163.com;通讯地址:…") is not
    an address: the next label is tried.
    """
    folded = layout.folded
    for addr in _ADDRESS.finditer(folded, lo, hi):
        s, e = addr.start("addr"), addr.end("addr")
        post = _POSTCODE.search(folded, s, e)
        if post:
            e = post.start()
        value = layout.text[s:e].strip()
        if value and not EMAIL.fullmatch(value):
            s = s + (len(layout.text[s:e]) - len(layout.text[s:e].lstrip()))
            draft.put("contact.postal_address", value, s, s + len(value))
            return


def extract_contact(layout: Layout, draft: Draft, marks: "Landmarks") -> None:
    found = marks.contact
    if found is None:
        return
    lo, hi = found
    # allow a few short lines right after (電話/信箱 one per line)
    for line in layout.lines:
        if line.start >= hi and line.start - hi < 3 and len(line.text) < 80 and _CHANNEL.search(line.text) and not _PAGE_CHROME.search(line.text):
            hi = line.end
    folded = layout.folded
    emails = list(EMAIL.finditer(folded, lo, hi))
    email_spans = [(m.start(), m.end()) for m in emails]
    n = 0
    for m in PHONE.finditer(folded, lo, hi):
        if any(s <= m.start() < e for s, e in email_spans):
            continue
        draft.put(f"contact.phones.{n}", layout.text[m.start():m.end()], m.start(), m.end())
        n += 1
    for i, m in enumerate(emails):
        draft.put(f"contact.emails.{i}", layout.text[m.start():m.end()], m.start(), m.end())
    _extract_address(layout, draft, lo, hi)
    site = _WEBSITE.search(folded, lo, hi)
    if site and not EMAIL.search(folded, site.start("url"), min(hi, site.end("url") + 1)):
        draft.put("contact.website", layout.text[site.start("url"):site.end("url")], site.start("url"), site.end("url"))
    else:
        for m in _URL.finditer(folded, lo, hi):
            if any(s <= m.start() < e for s, e in email_spans):
                continue
            draft.put("contact.website", layout.text[m.start():m.end()], m.start(), m.end())
            break
