"""One module per area; each exposes `ns`, added to the Api here."""

from __future__ import annotations

from flask_restx import Api

_registered = False


def register_all(api: Api) -> None:
    """Namespaces bind to the module-level Api once, however many apps the tests create."""
    global _registered
    if _registered:
        return
    from api.namespaces import (
        auth,
        collections,
        game,
        households,
        notices,
        open_data,
        pickups,
        pricing,
        privacy,
        public,
        settings,
        settlements,
        stock,
        system,
        users,
        wallet,
    )

    for module in (
        system,
        auth,
        users,
        public,
        households,
        pricing,
        pickups,
        collections,
        wallet,
        settlements,
        stock,
        game,
        open_data,
        notices,
        privacy,
        settings,
    ):
        api.add_namespace(module.ns)
    _registered = True
