"""Printouts as PDF (WeasyPrint) with the Sarabun font shipped as a Python package: A4, A5 and 58 mm pages.

Templates extend `console/print/base.html`, which declares the font by file:// URL and the page size,
so a printout looks the same on every PC whatever fonts it has.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template

PAGE_SIZES = {"a4": "A4", "a5": "A5", "58mm": "58mm 1000mm"}
ROLL_PAGES = {"58mm": 58}  # a paper roll: the page is cut as long as what is printed on it, not a fixed sheet
_PX_PER_MM = 96 / 25.4


def font_faces() -> str:
    """@font-face rules for Sarabun regular and bold from the installed fontpkg-sarabun files."""
    import fontpkg_sarabun

    root = fontpkg_sarabun.ROOT / "files"
    faces = []
    for weight, name in ((400, "Sarabun-Regular.ttf"), (700, "Sarabun-Bold.ttf")):
        faces.append(f'@font-face {{ font-family: "Sarabun"; font-weight: {weight}; src: url("{(root / name).as_uri()}"); }}')
    return "\n".join(faces)


def render_pdf(template: str, *, page: str = "a4", filename: str = "print.pdf", **context: Any) -> bytes:
    from weasyprint import HTML

    def layout(size: str) -> Any:
        html = render_template(template, font_faces=font_faces(), page_size=size, page=page, **context)
        return HTML(string=html).render()

    document = layout(PAGE_SIZES[page])
    if page in ROLL_PAGES and len(document.pages) == 1:
        document = layout(f"{ROLL_PAGES[page]}mm {_content_height_mm(document)}mm")
    return document.write_pdf()


def _content_height_mm(document: Any) -> int:
    """A roll's page cut as long as its content: a thermal printer feeds paper for the whole page
    height, so a fixed tall page wastes a hand's length of roll per receipt. WeasyPrint has no auto
    height (Kozea/WeasyPrint#193); laying out twice, the second time at the measured height, is the way."""
    box = document.pages[0]._page_box
    content = max((child.position_y + child.margin_height() for child in box.children), default=0)
    return max(40, int((content + box.margin_bottom) / _PX_PER_MM) + 2)


def pdf_response(template: str, *, page: str = "a4", filename: str = "print.pdf", **context: Any) -> Response:
    data = render_pdf(template, page=page, filename=filename, **context)
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"},
    )
