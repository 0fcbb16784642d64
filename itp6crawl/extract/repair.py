"""Markup that must not swallow text: plugin elements the parser nests the rest of a body into.

libxml2's HTML parser (lxml 6, libxml2 2.14) knows nothing of the void elements HTML5 added or kept for
plugins: a bare ``<embed …>`` (old Youku and Tudou flash players), ``<source>`` or ``<track>`` becomes
a container holding everything up to its parent's end tag, and so does an ``<object>`` or ``<video>``
whose end tag was never written. The sanitiser then drops the element with all it holds: a post of
1,146 characters was stored with 140. An ``<iframe>``, ``<noembed>``, ``<noframes>`` or ``<textarea>``
is raw text up to its end tag, so an unclosed one took the rest of the page as one string.

The repairs, decided element by element (browsers agree with each, except where noted):

* Void elements (``embed``, ``param``, ``source``, ``track``, ``wbr``, ``keygen``, ``bgsound``) hold nothing:
  whatever the parser put in one comes back out, in order, right after it.
* ``object`` and ``applet`` are unwrapped: what they hold is their fallback content, which is what every
  reader sees now that no browser runs Flash or Java (a closed object's fallback text is kept too; its
  ``param`` and ``embed`` children are dropped by the sanitiser as before).
* ``video``, ``audio``, ``picture``, ``canvas`` and ``select`` keep their inline
  fallback (dropped with them by the sanitiser: browsers play the video, the fallback is never seen);
  from their first block-level child on (a paragraph, a heading, a list, a table…) their content was
  swallowed, and goes back after them. (A closed video whose fallback is a ``<p>`` gives that paragraph to
  the body: a rare, visible line, where the other choice loses whole posts.)
* A raw-text element is closed where it starts when no end tag follows, or when its text up to the end
  tag closes elements it never opened (it ran past its parent): its text was the rest of the page.
  Browsers keep swallowing here; nothing a reader could see is lost by not doing so.

Broken markup pasted into a post (users paste HTML into WordPress) does the same to the theme's body,
``div.entry-content``, and is repaired in the page's text before parsing, by :func:`balance_content`:

* An end tag that closes no element opened inside the body (a stray ``</div>``, ``</div></div>``,
  ``</td>``, ``</span>``, ``</body>``…) goes, as browsers ignore it. (Not ``</p>`` and ``</br>``, which
  browsers read as an empty paragraph and a line break, nor those of void elements.)
* An unclosed ``figure``, ``figcaption``, ``noscript``, ``form``, ``table``, ``svg``, ``math`` or
  ``template`` (one whose own end tag never comes before the element around it ends) is closed right
  before the first block (a paragraph, a heading, a div…) after its own content: a figure's image and
  caption, a form's controls, a table's rows and cells (where a block inside an open cell of an
  unclosed table ends it too, when no cell or row follows); a noscript, figcaption, svg, math or template
  has no block content of its own. Browsers keep the text of most of these but not where it was: an
  open table puts what follows into its last cell or before it.

Why at the source and not after parsing. A stray ``</div>`` closes ``div.entry-content``; the body's own
``</div>`` then closes the element around it (``div.entry-main`` in 6.x, ``div.entry`` in 5.x), and the
next ones close the article, the main column, the layout: the rest of the body lands one, two or more
levels up, among or after the theme's blocks, in shapes that differ with the version and with how many
strays there were. A rule reading "the siblings after the content up to ``div.entry-tag``" would have
to follow each of those shapes, and cannot mend the worst ones at all: libxml2 ends the page at a
stray ``</body>`` or ``</html>`` (nothing after it is in the tree) and ignores ``</div>`` inside an open
table (the notice, tags, related posts and comments all land in its last cell). The text as written has
none of this ambiguity. The body's extent comes from the theme itself: it starts after the
``div.entry-content`` start tag and ends at the first of the theme's blocks that follow the body in
either version (``entry-tag``, ``entry-action``, ``entry-bar``, ``entry-footer``, ``entry-page``,
``entry-related-posts``, ``entry-comments``, ``#comments``/``#respond``; ``</article>`` on a page with
none of them, as a WordPress page, a stray one being likelier than a missing block); the end tags
that close that stretch (the notice's, the body's own ``</div>``, a wrapper's) are matched against what
the body opened, and the first one left over is the body's own end. Nothing outside the stretch is
touched, so the theme's boilerplate (打赏, share bar, notice, related posts, comments) stays where the
theme put it, outside the body; a page without ``entry-content`` or without such a block after it is
left as it is. Only a small tokenizer over the body's tags runs, about as much work as the body's length.

:func:`close_raw_text` and :func:`balance_content` work on the decoded text, before parsing;
:func:`repair_tree` on the parsed tree.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from lxml import etree
from lxml.html import HtmlElement

# HTML5's void elements that libxml2 2.14 reads as containers (it already knows area, base, br, col,
# frame, hr, img, input, link, meta and param as void; param stays listed for older versions).
VOID_ELEMENTS = frozenset({"embed", "param", "source", "track", "wbr", "keygen", "bgsound"})
UNWRAPPED = frozenset({"object", "applet"})
# (Not svg: every JustNews page has a dozen icon svgs, and finding them walks the whole tree, a sixth of the
# parse's time; a bare <svg> left open inside a post body is not something editors write.)
FALLBACK_HOLDERS = frozenset({"video", "audio", "picture", "canvas", "select"})
# Children that end a fallback holder's own content: flow blocks never written inside one.
BLOCK_ELEMENTS = frozenset(
    {
        "address", "article", "aside", "blockquote", "center", "details", "dialog", "div", "dl", "fieldset",
        "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p",
        "pre", "section", "table", "ul",
    }
)  # fmt: skip
RAW_TEXT_ELEMENTS = ("iframe", "noembed", "noframes", "textarea")

_ATTRIBUTES = r"""(?:[^>"']|"[^"]*"|'[^']*')*"""
# Letters as [xX] classes rather than re.IGNORECASE: the search runs over every page, and is 2.5 times faster so.
_RAW_NAMES = "|".join("".join(f"[{c}{c.upper()}]" for c in name) for name in RAW_TEXT_ELEMENTS)
_RAW_START = re.compile(rf"<({_RAW_NAMES})(?=[\s/>]){_ATTRIBUTES}>")
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)")
_RAW_END = {name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in RAW_TEXT_ELEMENTS}


def _runs_past_its_parent(content: str) -> bool:
    """Whether ``content`` closes an element it did not open."""
    opened: dict[str, int] = {}
    for match in _TAG.finditer(content):
        name = match[2].lower()
        if not match[1]:
            opened[name] = opened.get(name, 0) + 1
        elif opened.get(name, 0) == 0:
            return True
        else:
            opened[name] -= 1
    return False


def close_raw_text(text: str) -> str:
    """``text`` with an end tag written right after each raw-text start tag that has no proper end (see the
    module docstring); unchanged when there is none, which is nearly always."""
    match = _RAW_START.search(text)
    if match is None:
        return text
    out: list[str] = []
    done = 0
    while match is not None:
        name = match[1]
        end = _RAW_END[name.lower()].search(text, match.end())
        if end is not None and not _runs_past_its_parent(text[match.end() : end.start()]):
            resume = end.end()  # a proper element: its content stays raw text
        else:
            out.append(text[done : match.end()] + f"</{name}>")
            done = resume = match.end()
        match = _RAW_START.search(text, resume)
    out.append(text[done:])
    return "".join(out)


# --------------------------------------------------------------------------- the theme body, before parsing

_CONTENT_CLASS = re.compile(r"""<div\s[^<>]*?\bclass\s*=\s*["']?(?:[^"'<>]*\s)?$""", re.IGNORECASE)
_CONTENT_CLASS_END = re.compile(r"""entry-content(?=[\s"'>])""")
_AFTER_BODY = (
    re.compile(
        r"""class\s*=\s*["']?(?:[^"'<>]*\s)?entry-(?:tag|action|bar|footer|page|related-posts|comments)[\s"'>-]"""
    ),
    re.compile(r"""id=["']?(?:comments|respond)\b"""),  # a literal start: searched at C speed
)
_ARTICLE_END = re.compile(r"</article\s*>", re.IGNORECASE)
_TAG_REST = re.compile(r"""[^>"']*(?:(?:"[^"]*"|'[^']*')[^>"']*)*>""")  # _ATTRIBUTES, unrolled: 3 times faster
_END_TAG = re.compile(r"</[a-zA-Z][a-zA-Z0-9:-]*\s*>$")
# Elements whose content is text, skipped as such (an unclosed one: the rest of the body).
_SKIPPED = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE) for name in ("script", "style", "textarea", "xmp", "title")
}
_SKIPPED.update(_RAW_END)
_VOID = frozenset(
    {
        "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input", "isindex",
        "keygen", "link", "meta", "param", "source", "track", "wbr",
    }
)  # fmt: skip
_KEPT_STRAYS = frozenset({"p", "br"})  # browsers make an empty paragraph and a line break of them
# Start tags that end an open paragraph, and those that end an open sibling of theirs.
_ENDS_PARAGRAPH = BLOCK_ELEMENTS | {"li", "dd", "dt"}
_ENDS_SIBLING = {
    "li": frozenset({"li"}),
    "dt": frozenset({"dt", "dd"}),
    "dd": frozenset({"dt", "dd"}),
    "tr": frozenset({"tr", "td", "th"}),
    "td": frozenset({"td", "th"}),
    "th": frozenset({"td", "th"}),
    "tbody": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
    "thead": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
    "tfoot": frozenset({"thead", "tbody", "tfoot", "tr", "td", "th"}),
    "option": frozenset({"option"}),
}
# Elements that take the rest of the body when left open, with the tags (start, or end as "/name") of
# their own content: an unclosed one ends at the first block after the last of these.
_SWALLOWERS: dict[str, frozenset[str]] = {
    "figure": frozenset(
        {"img", "picture", "/picture", "a", "/a", "figcaption", "/figcaption", "/table", "/blockquote"}
    ),
    "form": frozenset(
        {"input", "button", "/button", "select", "/select", "textarea", "label", "/label", "fieldset", "/fieldset"}
    ),
    "table": frozenset(
        {
            "caption", "/caption", "colgroup", "/colgroup", "col", "thead", "/thead", "tbody", "/tbody", "tfoot",
            "/tfoot", "tr", "/tr", "td", "/td", "th", "/th",
        }
    ),
    "noscript": frozenset(),
    "svg": frozenset(),
    "math": frozenset(),
    "template": frozenset(),
    "figcaption": frozenset(),  # a caption is not body text: an unclosed one took the rest of the body out of it
}  # fmt: skip
_OWN_TAGS = frozenset().union(*_SWALLOWERS.values())


def _body_extent(text: str) -> tuple[int, int] | None:
    """Where the theme body's markup starts (after the ``div.entry-content`` start tag) and where the
    theme's blocks after it start; None when the page has no such body."""
    at = text.find("entry-content")
    while at >= 0:
        tag = text.rfind("<", 0, at)
        if tag >= 0 and _CONTENT_CLASS_END.match(text, at) and _CONTENT_CLASS.match(text, tag, at):
            rest = _TAG_REST.match(text, tag + 4)
            if rest is None:
                return None
            start = rest.end()
            ends: list[int] = []
            for pattern in _AFTER_BODY:  # each up to the last one's match only
                if match := pattern.search(text, start, ends[-1] if ends else len(text)):
                    ends.append(text.rfind("<", start, match.start()))
            if not ends:  # a page without the theme's blocks (a WordPress page): the article's end
                match = _ARTICLE_END.search(text, start)
                ends = [match.start()] if match else []
            return (start, min(ends)) if ends else None
        at = text.find("entry-content", at + 1)
    return None


def _closing_run(text: str, start: int, end: int) -> int:
    """Where the run of end tags, comments and white space that ends ``text[start:end]`` begins."""
    at = end
    while at > start:
        trimmed = len(text[start:at].rstrip()) + start
        if trimmed < at:
            at = trimmed
            continue
        if text.endswith("-->", start, at):
            opening = text.rfind("<!--", start, at)
            if opening < 0:
                break
            at = opening
            continue
        opening = text.rfind("<", start, at)
        if opening < 0 or not _END_TAG.match(text[opening:at]):
            break
        at = opening
    return at


_TABLE_PARTS = frozenset({"tbody", "thead", "tfoot", "tr", "colgroup"})
# One token: a comment (skipped), or a start or end tag with its attributes.
_TOKEN = re.compile(r"<!--.*?(?:-->|\Z)|<(/?)([a-zA-Z][a-zA-Z0-9:-]*)" + _TAG_REST.pattern, re.DOTALL)


class _Open:
    """A swallower the body opened: where its own content ends so far, and where the first block inside
    it started (for a table, one not inside a cell), which ends its own content."""

    __slots__ = ("name", "own_end", "sealed_at")

    def __init__(self, name: str, own_end: int) -> None:
        self.name = name
        self.own_end = own_end
        self.sealed_at = -1


def balance_content(text: str) -> str:
    """``text`` with the theme body's stray end tags dropped and its unclosed swallowing elements closed
    (see the module docstring); ``text`` itself when there is nothing to repair or no theme body."""
    extent = _body_extent(text)
    if extent is None or extent[1] < extent[0]:
        return text
    start, end = extent
    closing = _closing_run(text, start, end)
    names: list[str] = []  # the open elements, outermost first
    swallowers: list[_Open | None] = []  # beside each, its _Open when it is a swallower
    open_swallowers = 0
    blocks: list[int] = []  # where block start tags begin, in order
    edits: list[tuple[int, int, str]] = []  # (from, to, replacement)
    unclosed: list[tuple[_Open, int]] = []  # with where the element around it ended

    def pop_to(index: int, at: int) -> int:
        """Close the elements from ``index`` on; the number of swallowers left open."""
        for element in reversed(swallowers[index:]):
            if element is not None:
                unclosed.append((element, at))
        del names[index:], swallowers[index:]
        return sum(element is not None for element in swallowers)

    def own(name: str, at: int) -> None:
        for element in reversed(swallowers):
            if element is not None and element.sealed_at < 0 and name in _SWALLOWERS[element.name]:
                element.own_end = at
                return

    def seal(at: int) -> None:
        """A block starts at ``at``: the own content of every swallower around it ends there, except a
        table's when the block is inside one of its cells (a cell may hold paragraphs)."""
        in_table_parts = True
        for name, element in zip(reversed(names), reversed(swallowers), strict=True):
            if element is not None and element.sealed_at < 0 and (name != "table" or in_table_parts):
                element.sealed_at = at
            in_table_parts = in_table_parts and name in _TABLE_PARTS

    skip_to = start
    body_end = end
    for match in _TOKEN.finditer(text, start, end):
        at = match.start()
        name = match[2]
        if name is None or at < skip_to:
            continue  # a comment, or inside raw text
        name = name.lower()
        finish = match.end()
        if match[1]:  # an end tag
            if name in _VOID:
                continue
            index = len(names) - 1
            while index >= 0 and names[index] != name:
                index -= 1
            if index >= 0:
                if open_swallowers:
                    open_swallowers = pop_to(index + 1, at)  # what it holds and never closed
                    if swallowers[-1] is not None:
                        open_swallowers -= 1
                    if open_swallowers and f"/{name}" in _OWN_TAGS:
                        own(f"/{name}", finish)
                else:
                    del names[index + 1 :], swallowers[index + 1 :]
                names.pop()
                swallowers.pop()
            elif at >= closing and name == "div":
                body_end = at  # the body's own end tag
                break
            elif name not in _KEPT_STRAYS:
                edits.append((at, finish, ""))
            continue
        if names:
            if names[-1] == "p" and name in _ENDS_PARAGRAPH:
                names.pop()
                swallowers.pop()
            siblings = _ENDS_SIBLING.get(name)
            while siblings and names and names[-1] in siblings:
                names.pop()
                swallowers.pop()
        if name in BLOCK_ELEMENTS:
            blocks.append(at)
            if open_swallowers and names:
                seal(at)
        skipped = _SKIPPED.get(name)
        if skipped is not None:  # raw text up to its end tag, even after "/>" (libxml2 reads it so)
            close_match = skipped.search(text, finish, end)
            finish = skip_to = end if close_match is None else close_match.end()
        if open_swallowers and name in _OWN_TAGS:
            own(name, finish)
        if name not in _VOID and skipped is None and text[finish - 2] != "/":
            names.append(name)
            if name in _SWALLOWERS:
                swallowers.append(_Open(name, finish))
                open_swallowers += 1
            else:
                swallowers.append(None)
    pop_to(0, body_end)
    for element, limit in unclosed:
        if 0 <= element.sealed_at < limit:
            at = element.sealed_at
        else:
            following = bisect_left(blocks, element.own_end)
            at = blocks[following] if following < len(blocks) and blocks[following] < limit else limit
        edits.append((at, at, f"</{element.name}>"))
    if not edits:
        return text
    edits.sort(key=lambda edit: edit[0])  # stable: inner elements close first
    out: list[str] = []
    done = 0
    for begin, finish, replacement in edits:
        out.append(text[done:begin])
        out.append(replacement)
        done = finish
    out.append(text[done:])
    return "".join(out)


def _hoist(element: HtmlElement, start: int, *, text: bool) -> None:
    """Move ``element``'s children from index ``start`` on (and its text, with ``text``) to right after
    it, in order, ahead of its own tail."""
    moved = list(element)[start:]
    tail = element.tail
    element.tail = element.text if text else None
    if text:
        element.text = None
    anchor = element
    for child in moved:
        anchor.addnext(child)
        anchor = child
    anchor.tail = (anchor.tail or "") + (tail or "") or None


def repair_tree(root: HtmlElement) -> bool:
    """Undo the nesting the parser did into plugin elements (see the module docstring); True when
    anything changed. Void elements first, outermost first (what one gives back may hold the next);
    then the others innermost first, so what an inner one gives back is seen by the one around it."""
    changed = False
    for element in list(root.iter(*VOID_ELEMENTS)):
        if len(element) or element.text:
            _hoist(element, 0, text=True)
            changed = True
    for element in reversed(list(root.iter(*UNWRAPPED, *FALLBACK_HOLDERS))):
        if element.getparent() is None:
            continue
        if element.tag in UNWRAPPED:
            element.drop_tag()
            changed = True
            continue
        first_block = next(
            (i for i, child in enumerate(element) if isinstance(child.tag, str) and child.tag in BLOCK_ELEMENTS), None
        )
        if first_block is not None:
            _hoist(element, first_block, text=False)
            changed = True
    return changed


def serialise(doc: HtmlElement) -> str:
    """The repaired page as markup, for readers that parse text themselves (trafilatura, readability)."""
    return etree.tostring(doc.getroottree(), encoding="unicode", method="html")
