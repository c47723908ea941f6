"""Tenant settings: built from recycle.tenant_settings.SETTINGS so the API and the console check the same limits."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas.common import Lat, Lng
from recycle.tenant_settings import SETTINGS


def _int_field(d, **kw) -> fields.Integer:  # noqa: ANN001, ANN003
    return fields.Integer(
        strict=True,
        validate=validate.Range(min=d.low, max=d.high),
        metadata={"description": f"{d.label_en} / {d.label_th} (default {d.default})"},
        **kw,
    )


TenantSettingsSchema = Schema.from_dict(
    {
        **{d.key: _int_field(d, required=True) for d in SETTINGS},
        "centre_lat": fields.Float(allow_none=True, required=True),
        "centre_lng": fields.Float(allow_none=True, required=True),
    },
    name="TenantSettings",
)

TenantSettingsUpdateSchema = Schema.from_dict(
    {**{d.key: _int_field(d) for d in SETTINGS}, "centre_lat": Lat(allow_none=True), "centre_lng": Lng(allow_none=True)},
    name="TenantSettingsUpdate",
)
