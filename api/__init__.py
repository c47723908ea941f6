"""The HTTP face of the waste bank: the app factory, namespaces, schemas, auth and error handling."""

from api.app import create_app

__all__ = ["create_app"]
