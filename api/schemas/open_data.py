"""The open-data metadata document (data.go.th's CKAN fields), written once: validates and documents."""

from __future__ import annotations

from marshmallow import Schema, fields


class OpenDataContactSchema(Schema):
    name = fields.String(required=True)
    email = fields.String(required=True)
    phone = fields.String(required=True)


class OpenDataResourceSchema(Schema):
    name = fields.String(required=True)
    format = fields.String(required=True)
    url = fields.String(required=True)
    description = fields.String(required=True)
    columns = fields.List(fields.String(), required=True)


class OpenDataMetadataSchema(Schema):
    name = fields.String(required=True)
    title = fields.String(required=True, metadata={"description": "ชื่อชุดข้อมูล (Thai)"})
    title_en = fields.String(required=True)
    notes = fields.String(required=True, metadata={"description": "รายละเอียด (Thai description)"})
    owner_org = fields.String(required=True)
    maintainer = fields.String(required=True)
    maintainer_email = fields.String(required=True)
    contact = fields.Nested(OpenDataContactSchema, required=True)
    tags = fields.List(fields.String(), required=True)
    objective = fields.String(required=True)
    update_frequency_unit = fields.String(required=True)
    update_frequency_interval = fields.Integer(required=True)
    geo_coverage = fields.String(required=True)
    data_source = fields.String(required=True)
    data_format = fields.String(required=True)
    data_category = fields.String(required=True)
    data_classification = fields.String(required=True)
    license_id = fields.String(required=True)
    license_title = fields.String(required=True)
    accessible_condition = fields.String(required=True)
    data_support = fields.String(required=True)
    data_collect = fields.String(required=True)
    url = fields.String(required=True)
    first_year_of_data = fields.Integer(required=True, metadata={"description": "B.E. (พ.ศ.)"})
    last_year_of_data = fields.Integer(required=True, metadata={"description": "B.E. (พ.ศ.)"})
    disaggregate = fields.List(fields.String(), required=True)
    allow_harvest = fields.String(required=True)
    language = fields.List(fields.String(), required=True)
    metadata_modified = fields.String(required=True)
    resources = fields.List(fields.Nested(OpenDataResourceSchema), required=True)
