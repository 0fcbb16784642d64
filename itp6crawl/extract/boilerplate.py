"""The site's fixed boilerplate texts, known by heart.

Used twice: to prune the generic extractor's output (the theme rules remove these by structure and
never need them), and by the quality benchmark to count leaks.
"""

from __future__ import annotations

import re
import unicodedata

# Lines of the theme's entry-copyright notice as ITP6 fills it. Matching is on NFKC text with all
# whitespace removed, so full-width and half-width punctuation and stray spaces do not matter.
# The fixed sentences are the notice's own; the field lines (作者:, 链接:) could also end a real
# paragraph (a paper's authors, a source link), so they count as notice only beside a fixed sentence.
FIXED_NOTICE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p)
    for p in (
        r"^文章属于病友个人治疗见解.{0,40}仅供参考.{0,30}谨慎参阅[!。]?$",
        r"^提示:ITP6病友网站内任何对疾病的建议都不能替代执业医师当面诊断[!。]?$",
        r"^文章版权归作者所有.{0,20}请勿转载[。.!]?$",
    )
)
FIELD_NOTICE_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p) for p in (r"^作者:.{1,60}$", r"^链接:https?://\S+$", r"^(原创)?文章,?作者:.{1,60}$")
)
NOTICE_PATTERNS = FIXED_NOTICE_PATTERNS + FIELD_NOTICE_PATTERNS

# Whole lines that are always chrome when they stand alone (never a sentence a patient writes).
CHROME_LINES: frozenset[str] = frozenset(
    {
        "赞",
        "打赏",
        "微信扫一扫",
        "支付宝扫一扫",
        "生成海报",
        "分享本页",
        "返回顶部",
        "关注微信",
        "相关推荐",
        "相关文章",
        "发表回复",
        "提交",
        "上一篇",
        "下一篇",
        "«上一篇",
        "下一篇»",
        "联系我们",
        "登录",
        "注册",
        "请登录后评论...",
        "登录后才能评论",
        "时间:7*24小时不打烊",
        "分享到:",
        "首页",
        "下一页",
        "加载更多",
    }
)

# Texts the quality benchmark counts as leaks when found in an extracted body.
LEAK_MARKERS: tuple[str, ...] = (
    "文章属于病友个人治疗见解",
    "不能替代执业医师当面诊断",
    "文章版权归作者所有",
    "未经允许请勿转载",
    "微信扫一扫",
    "支付宝扫一扫",
    "生成海报",
    "请登录后评论",
    "登录后才能评论",
    "7*24小时",
    "ITP6病友网由病患制作",
    "抱团取暖",
    "返回顶部",
    "评论列表(",
)


def squash(text: str) -> str:
    """NFKC, whitespace removed: the form every boilerplate comparison uses."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def is_notice_line(line: str) -> bool:
    """True for one line of the site's copyright/disclaimer notice."""
    flat = squash(line)
    return bool(flat) and any(p.match(flat) for p in NOTICE_PATTERNS)


def is_fixed_notice_line(line: str) -> bool:
    """True for one of the notice's fixed sentences (disclaimer, tip, copyright)."""
    flat = squash(line)
    return bool(flat) and any(p.match(flat) for p in FIXED_NOTICE_PATTERNS)


def is_site_line(line: str, notice_present: bool) -> bool:
    """True for a line of the site's chrome or notice. A field line (作者:, 链接:) counts only when the
    page also shows one of the notice's fixed sentences; alone it may be a paper's authors or a source."""
    if notice_present:
        return is_chrome_line(line)
    flat = squash(line)
    return flat in CHROME_LINES or any(p.match(flat) for p in FIXED_NOTICE_PATTERNS)


def is_chrome_line(line: str) -> bool:
    """True for a line that is only a button or widget label."""
    flat = squash(line)
    return flat in CHROME_LINES or is_notice_line(line)


def leaks(text: str) -> list[str]:
    """The leak markers present in ``text`` (NFKC, whitespace-insensitive)."""
    flat = squash(text)
    return [marker for marker in LEAK_MARKERS if squash(marker) in flat]
