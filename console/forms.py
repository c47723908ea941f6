"""Form handling shared by the views: marshmallow validation of posted forms, errors by field, one-time tokens."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError, fields, validate

from api.schemas.common import Phone, QId, name_field
from recycle.errors import DomainError

CONTROL_CATEGORIES = ("Cc", "Cf", "Cs", "Co")


def clean_text(value: str) -> str:
    """Control and invisible format characters out, whitespace folded (a pasted name can carry anything)."""
    value = unicodedata.normalize("NFC", value or "")
    out = "".join(
        " " if ch in "\t\r\n" else ch
        for ch in value
        if ch in "\t\r\n" or unicodedata.category(ch) not in CONTROL_CATEGORIES or ch == "\u200d"
    )
    return " ".join(out.split())


class Text(fields.String):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kw: Any) -> str:
        return clean_text(super()._deserialize(value, attr, data, **kw))


class MemberForm(Schema):
    """Registering or editing a member at the counter (the same limits as POST /households)."""

    name = Text(required=True, validate=validate.Length(min=1, max=200))
    village_id = QId(required=True)
    address = Text(load_default="", validate=validate.Length(max=500))
    phone = Phone(allow_none=True, load_default=None)
    promptpay_id = Text(allow_none=True, load_default=None, validate=validate.Length(max=20))
    consent = fields.Boolean(load_default=False)
    paper_consent = fields.Boolean(load_default=False)
    leaderboard_opt_in = fields.Boolean(load_default=False)
    confirm_duplicate = fields.Boolean(load_default=False)
    form_token = fields.UUID(required=True)


def form_data(schema: Schema) -> tuple[dict[str, Any] | None, dict[str, list[str]]]:
    """The posted form through a schema: empty fields are absent, checkboxes are booleans."""
    raw: dict[str, Any] = {}
    for key in request.form:
        if key == "csrf_token":
            continue
        value = request.form.get(key, "")
        if value.strip() == "":
            continue
        raw[key] = value
    for name, field in schema.fields.items():
        if isinstance(field, fields.Boolean) and name not in raw:
            raw[name] = False
    try:
        return schema.load(raw, unknown="exclude"), {}
    except ValidationError as exc:
        return None, {k: (v if isinstance(v, list) else [str(v)]) for k, v in exc.messages.items()}  # type: ignore[union-attr]


def domain_errors(exc: DomainError) -> dict[str, list[str]]:
    return dict(exc.errors or {"_": [exc.detail]})


def new_token() -> str:
    return str(uuid.uuid4())


__all__ = ["MemberForm", "clean_text", "domain_errors", "form_data", "name_field", "new_token"]
