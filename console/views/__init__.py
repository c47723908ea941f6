"""Console pages, one module per area of the counter; each adds its routes to `console.web.bp` on import."""
from __future__ import annotations


def load_views() -> None:
    from console.views import home, linking, members, prices, setup, walk_in  # noqa: F401
    from console.views import handover, queues, rounds  # noqa: F401
