"""Printouts as PDF (WeasyPrint) with the Sarabun font shipped as a Python package: A4, A5 and 58 mm pages.

Templates extend `console/print/base.html`, which declares the font by file:// URL and the page size,
so a printout looks the same on every PC whatever fonts it has.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template

PAGE_SIZES = {"a4": "A4", "a5": "A5", "58mm": "58mm 200mm"}


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

    html = render_template(template, font_faces=font_faces(), page_size=PAGE_SIZES[page], page=page, **context)
    return HTML(string=html).write_pdf()


def pdf_response(template: str, *, page: str = "a4", filename: str = "print.pdf", **context: Any) -> Response:
    data = render_pdf(template, page=page, filename=filename, **context)
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "no-store"},
    )
