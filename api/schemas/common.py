"""Field types shared by every area."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate

from recycle.plain_text import has_control
from recycle.thai_ids import InvalidId, normalize_phone


class Phone(fields.String):
    """A Thai mobile number in any common spelling, loaded as 0XXXXXXXXX."""

    def _deserialize(self, value, attr, data, **kw):  # noqa: ANN001
        raw = super()._deserialize(value, attr, data, **kw)
        try:
            return normalize_phone(raw)
        except InvalidId as exc:
            raise self.make_error("invalid", message=str(exc)) from None

    def make_error(self, key: str, message: str | None = None, **kw):  # noqa: ANN201
        if message:
            from marshmallow import ValidationError

            return ValidationError(message)
        return super().make_error(key, **kw)


class NoControlChars(validate.Validator):
    """Refuse text holding control characters: it ends up on 58 mm receipts, cards, CSVs and logs."""

    error = "must not contain control characters (such as ESC, tab or line breaks)"

    def __call__(self, value: str) -> str:
        if isinstance(value, str) and has_control(value):
            raise ValidationError(self.error)
        return value


def plain_text(max_len: int, min_len: int = 0, **kw) -> fields.String:  # noqa: ANN003
    """A person's text (a name, an address, a note, a reason): bounded, and free of control characters."""
    return fields.String(validate=[validate.Length(min=min_len, max=max_len), NoControlChars()], **kw)


def code_field(max_len: int, **kw) -> fields.String:  # noqa: ANN003
    """A material or grade code (PET_CLEAR, A): printed on receipts and in CSVs, looked up after trimming, so
    it needs a visible character (a lone no-break space trimmed to nothing) and no control characters."""
    visible = validate.Regexp(r"^\s*\S", error="needs a visible character (e.g. PET_CLEAR, A)")
    return fields.String(validate=[validate.Length(min=1, max=max_len), NoControlChars(), visible], **kw)


def name_field(**kw) -> fields.String:  # noqa: ANN003
    return plain_text(200, 1, **kw)


Lat = lambda **kw: fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False, **kw)  # noqa: E731
Lng = lambda **kw: fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False, **kw)  # noqa: E731
Id = lambda **kw: fields.Integer(validate=validate.Range(min=1, max=2**53), strict=True, **kw)  # noqa: E731
QId = lambda **kw: fields.Integer(validate=validate.Range(min=1, max=2**53), **kw)  # noqa: E731 - query strings are text


def PlausibleDate(**kw) -> fields.Date:  # noqa: N802, ANN003
    """A calendar date this system can turn into instants (year 1 or 9999 would overflow the conversion)."""
    import datetime as _dt

    return fields.Date(validate=validate.Range(min=_dt.date(1970, 1, 1), max=_dt.date(2999, 12, 31)), **kw)
