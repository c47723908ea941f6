"""Console pages, one module per area of the counter; each adds its routes to `console.web.bp` on import."""
from __future__ import annotations


def load_views() -> None:
    from console.views import (  # noqa: F401
        home, linking, members, month_end, prices, reports, setup, stock, walk_in, welfare,
    )
