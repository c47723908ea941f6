"""Domain errors. The API turns each into an application/problem+json response; nothing else needs HTTP."""

from __future__ import annotations


class DomainError(Exception):
    status = 400
    type = "about:blank"
    title = "Bad request"

    def __init__(self, detail: str, errors: dict[str, list[str]] | None = None, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.code = code


class InvalidInput(DomainError):
    """Well-formed but unacceptable input; `errors` names the fields."""

    status = 422
    title = "Unprocessable input"

    @classmethod
    def field(cls, name: str, message: str, code: str | None = None) -> InvalidInput:
        return cls(f"{name}: {message}", {name: [message]}, code)


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Unauthorized(DomainError):
    status = 401
    title = "Unauthorized"


class FieldErrors(dict[str, list[str]]):
    """Every problem with the input, by field, gathered before anything is written (so one answer names them all)."""

    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def raise_if_any(self, detail: str) -> None:
        if self:
            raise InvalidInput(detail, dict(self))
