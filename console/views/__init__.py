"""Console pages, one module per area of the counter; each adds its routes to `console.web.bp` on import."""

from __future__ import annotations


def load_views() -> None:
    from console.views import (  # noqa: F401 - each module adds its routes to the blueprint
        handover,
        home,
        linking,
        members,
        month_end,
        prices,
        queues,
        reports,
        rounds,
        setup,
        stock,
        walk_in,
        welfare,
    )
