"""Who is acting: built from the verified token by the API, passed as plain data into the domain."""

from __future__ import annotations

from dataclasses import dataclass

from recycle.errors import Forbidden


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    tenant_id: int
    role: str
    household_id: int | None = None
    request_id: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in ("staff", "admin")

    def require(self, *roles: str) -> None:
        if self.role not in roles:
            raise Forbidden(f"role {self.role} may not do this")
