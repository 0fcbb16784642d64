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

:func:`close_raw_text` works on the decoded text, before parsing; :func:`repair_tree` on the parsed tree.
"""

from __future__ import annotations

import re

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
