"""Collect every message a person can read in a problem (domain errors, marshmallow, HTTP) into the catalog.

    python scripts/extract_messages.py          # adds missing msgids to api/translations/th/LC_MESSAGES/messages.po
    python scripts/extract_messages.py --check  # lists the ones without a Thai translation

An f-string becomes a pattern: `f"ticket is {t.status}"` -> `ticket is {status}`; api.i18n matches it as a
regular expression and translates the captured values too when the catalog knows them.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "api" / "translations" / "th" / "LC_MESSAGES" / "messages.po"
ERRORS = {
    "InvalidInput",
    "NotFound",
    "Conflict",
    "Forbidden",
    "Unauthorized",
    "DomainError",
    "field",
    "InvalidInput.field",
    "BadRequest",
    "UnsupportedMediaType",
    "PriceSheetError",
    "ValidationError",
    "make_error",
    "BadToken",
}
PACKAGES = ("recycle", "pricing", "pickup", "enterprise", "api")


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _placeholder(expr: ast.AST) -> str:
    src = ast.unparse(expr)
    words = re.findall(r"[A-Za-z_]+", src)
    return (words[-1] if words else "value").lower()


def _text(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        out, seen = [], {}
        for v in node.values:
            if isinstance(v, ast.Constant):
                out.append(str(v.value).replace("{", "{{").replace("}", "}}"))
            elif isinstance(v, ast.FormattedValue):
                name = _placeholder(v.value)
                seen[name] = seen.get(name, 0) + 1
                out.append("{" + (name if seen[name] == 1 else f"{name}_{seen[name]}") + "}")
        return "".join(out)
    return None


def messages_in_code() -> set[str]:
    found: set[str] = set()
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and any(_name(t) in ("msg", "message", "detail") for t in node.targets):
                    t = _text(node.value)
                    if t and " " in t:
                        found.add(t)
                if isinstance(node, ast.Call) and _name(node.func) in ERRORS:
                    texts = [_text(a) for a in node.args[:2]]
                    if _name(node.func) == "field" and len(node.args) >= 2:
                        texts = [_text(node.args[1])]
                    for t in texts:
                        if t and len(t) > 2 and not t.isidentifier():
                            found.add(t)
                    for a in node.args[1:2]:
                        if isinstance(a, ast.Dict):  # {field: ["message"]}
                            for v in a.values:
                                for el in getattr(v, "elts", []):
                                    t = _text(el)
                                    if t:
                                        found.add(t)
    return found


def library_messages() -> set[str]:
    """What marshmallow, werkzeug and the JWT layer say, plus the titles of our own errors."""
    import inspect

    import marshmallow.fields as mf
    import marshmallow.validate as mv
    from werkzeug.exceptions import default_exceptions

    from recycle import errors

    found: set[str] = set()
    for _n, cls in inspect.getmembers(mf, inspect.isclass):
        found |= {m for m in getattr(cls, "default_error_messages", {}).values() if isinstance(m, str)}
    for _n, cls in inspect.getmembers(mv, inspect.isclass):
        found |= {
            getattr(cls, a) for a in dir(cls) if a.startswith(("message", "default_message")) and isinstance(getattr(cls, a), str)
        }
    for exc in default_exceptions.values():
        found.add(exc().name)
        if isinstance(exc.description, str):
            found.add(exc.description)
    for _n, cls in inspect.getmembers(errors, inspect.isclass):
        if isinstance(getattr(cls, "title", None), str):
            found.add(cls.title)
    tree = ast.parse((ROOT / "api" / "auth.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            found |= {v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return {m.replace("{{", "{").replace("}}", "}") if "{" not in m.replace("{{", "") else m for m in found}


def main() -> int:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    if PO.exists():
        with PO.open("rb") as f:
            catalog = read_po(f, locale="th")
    else:
        catalog = Catalog(locale="th", project="thangngoen")
    if "--check" in sys.argv:
        missing = sorted(m for m in messages_in_code() if not (catalog.get(m) and catalog.get(m).string))
        print("\n".join(missing))
        return 1 if missing else 0
    code = messages_in_code() | library_messages()
    for m in sorted(code):
        if catalog.get(m) is None:
            catalog.add(m, "")
    catalog.fuzzy = False
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, catalog, width=0, sort_output=True)
    print(f"{len(code)} messages in code; catalog has {len(catalog)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
