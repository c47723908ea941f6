"""The member's wallet and passbook."""

from __future__ import annotations

from marshmallow import Schema, fields

from api.schemas.pricing import AwareDateTime


class PassbookEntrySchema(Schema):
    transaction_id = fields.Integer(required=True)
    occurred_at = fields.DateTime(
        required=True, metadata={"description": "effective: a void takes the date of the entry it cancels"}
    )
    recorded_at = fields.DateTime(
        required=True, metadata={"description": "when the entry was written (a void: when it was voided)"}
    )
    corrects_transaction_id = fields.Integer(allow_none=True, metadata={"description": "the entry a reversal cancels"})
    kind = fields.String(required=True)
    memo = fields.String(required=True)
    ref_type = fields.String(allow_none=True)
    ref_id = fields.Integer(allow_none=True)
    amount_satang = fields.Integer(required=True, metadata={"description": "+ credited to the member, - paid out or reversed"})
    balance_satang = fields.Integer(required=True, metadata={"description": "running balance after this entry"})
    part = fields.String(
        allow_none=True,
        metadata={
            "description": "a settlement's line: gross (amount 0, the figure in "
            "gross_satang), welfare, savings, net; null for other entries"
        },
    )
    gross_satang = fields.Integer(allow_none=True, metadata={"description": "on a settlement's gross line: what was settled"})


class WalletArgs(Schema):
    from_ = AwareDateTime(data_key="from")
    to = AwareDateTime()


class WalletSchema(Schema):
    household_id = fields.Integer(required=True)
    balance_satang = fields.Integer(required=True)
    entries = fields.List(fields.Nested(PassbookEntrySchema), required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
