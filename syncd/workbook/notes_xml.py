"""The comments of a big sheet as XML text: the two parts openpyxl would write, byte for byte.

A canonical whose duplicate search flagged thousands of rows carries thousands of comments, and
openpyxl builds an element tree for each of them twice (the comment and its VML box): about half a
second for 4,000 comments, at every sync. The parts are the same boilerplate around each comment's
cell, author, text and size, so they are written here as text instead, exactly as openpyxl writes
them (``tests/test_notes_xml.py`` compares the two). openpyxl still writes the relationships and
content types, for a sheet left with one of its comments; the parts are replaced when the file is
put together (``XlsxBook.save``).
"""

from __future__ import annotations

from typing import Sequence

from openpyxl.comments import Comment

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

_VML_HEAD = (
    '<xml xmlns:ns0="urn:schemas-microsoft-com:office:office" xmlns:ns1="urn:schemas-microsoft-com:vml" '
    'xmlns:ns2="urn:schemas-microsoft-com:office:excel"><ns0:shapelayout ns1:ext="edit"><ns0:idmap '
    'ns1:ext="edit" data="1" /></ns0:shapelayout><ns1:shapetype id="_x0000_t202" coordsize="21600,21600" '
    'ns0:spt="202" path="m,l,21600r21600,l21600,xe"><ns1:stroke joinstyle="miter" /><ns1:path '
    'gradientshapeok="t" ns0:connecttype="rect" /></ns1:shapetype>'
)
_VML_SHAPE = (
    '<ns1:shape type="#_x0000_t202" style="position:absolute; margin-left:59.25pt;margin-top:1.5pt;'
    'width:{width}px;height:{height}px;z-index:1;visibility:hidden" fillcolor="#ffffe1" '
    'ns0:insetmode="auto" id="_x0000_s{id:04d}"><ns1:fill color2="#ffffe1" /><ns1:shadow color="black" '
    'obscured="t" /><ns1:path ns0:connecttype="none" /><ns1:textbox style="mso-direction-alt:auto"><div '
    'style="text-align:left" /></ns1:textbox><ns2:ClientData ObjectType="Note"><ns2:MoveWithCells />'
    '<ns2:SizeWithCells /><ns2:AutoFill>False</ns2:AutoFill><ns2:Row>{row}</ns2:Row><ns2:Column>{col}'
    '</ns2:Column></ns2:ClientData></ns1:shape>'
)

#: (row, column, comment) of one cell, 1-based as openpyxl counts
Noted = tuple[int, int, Comment]


def escape_text(text: str) -> str:
    """Element text as ElementTree escapes it (a CR stays as it is, as openpyxl leaves it)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _element(tag: str, text: str, keep_spaces: bool = False) -> str:
    if not text:
        return f"<{tag} />"
    stripped = text.strip()
    # openpyxl marks outer spaces in a comment's text (not in an author's name)
    space = ' xml:space="preserve"' if keep_spaces and stripped and stripped != text else ""
    return f"<{tag}{space}>{escape_text(text)}</{tag}>"


def _ref(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row}"


def comments_part(noted: Sequence[Noted]) -> bytes:
    """The sheet's comments part (``xl/comments/commentN.xml``), ``noted`` in row, then column order."""
    authors: dict[str, int] = {}
    records = []
    for row, col, comment in noted:
        author = authors.setdefault(comment.author, len(authors))
        records.append(f'<comment ref="{_ref(row, col)}" authorId="{author}" shapeId="0"><text>'
                       f'{_element("t", comment.content, keep_spaces=True)}</text></comment>')
    names = "".join(_element("author", name) for name in authors)
    return (f'<comments xmlns="{_MAIN}"><authors>{names}</authors><commentList>{"".join(records)}'
            f"</commentList></comments>").encode("utf-8")


def drawing_part(noted: Sequence[Noted]) -> bytes:
    """The sheet's comment boxes (``xl/drawings/commentsDrawingN.vml``), in the same order."""
    shapes = [_VML_SHAPE.format(width=comment.width, height=comment.height, id=n, row=row - 1, col=col - 1)
              for n, (row, col, comment) in enumerate(noted, 1026)]
    return (_VML_HEAD + "".join(shapes) + "</xml>").encode("utf-8")
