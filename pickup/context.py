"""Who is weighing, for which waste bank, in which transaction, and the keys that read a member's card.

Every ticket function needs these four together; passing them as one object keeps them from being
mixed up (a correction once passed an empty string for the card keys, the console its login key).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from recycle.errors import InvalidInput
from recycle.models import Tenant
from recycle.principal import Principal
from recycle.qrtoken import CardKeys


@dataclass(frozen=True)
class TicketContext:
    session: Session
    principal: Principal
    tenant: Tenant
    card_keys: CardKeys | str | None = None  # None: this caller never reads a scanned card (corrections, approvals)

    def __post_init__(self) -> None:
        if self.tenant.id != self.principal.tenant_id:
            raise ValueError("the tenant must be the principal's own")

    def keys(self) -> CardKeys | str:
        """The card keys for a scanned QR; refused (not crashed) where none were given."""
        if self.card_keys is None:
            raise InvalidInput.field("qr", "a scanned card cannot be read here; give household_id")
        return self.card_keys
