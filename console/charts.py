"""Charts drawn on the server as SVG (pygal): they show in the browser and print in a PDF, with no JavaScript."""

from __future__ import annotations

import datetime as dt
from typing import Any

from recycle import thai_dates


def _style() -> Any:
    from pygal.style import Style

    return Style(
        font_family="Sarabun, 'Noto Sans Thai', sans-serif",
        background="white",
        plot_background="white",
        colors=("#1f6f43", "#c77d00", "#3559a8", "#b3261e"),
        label_font_size=13,
        major_label_font_size=13,
        legend_font_size=14,
        title_font_size=16,
    )


def price_history_svg(history: list[tuple[str, Any]], tz: dt.tzinfo, title: str, now: dt.datetime | None = None) -> bytes:
    """Buying price per grade over time, as steps (a price holds until the next one), B.E. dates on the axis."""
    import pygal

    now = now or dt.datetime.now(dt.UTC)
    chart = pygal.DateTimeLine(
        style=_style(),
        width=900,
        height=360,
        title=f"{title} (บาท/กก. · THB/kg)",
        x_label_rotation=0,
        show_dots=True,
        js=[],  # no CDN script: the centre may be offline
        dots_size=3,
        truncate_label=-1,
        x_value_formatter=lambda d: thai_dates.format_date(d, "th"),
    )
    series: dict[str, list[tuple[dt.datetime, float]]] = {}
    for grade, price in history:
        points = series.setdefault(grade, [])
        when = price.effective_from.astimezone(tz).replace(tzinfo=None)
        baht = price.buy_price_satang / 100  # drawing only: the money itself stays integer satang
        if points:
            points.append((when, points[-1][1]))  # the old price held until this instant
        points.append((when, baht))
    for grade, points in series.items():
        if points and points[-1][0] < now.astimezone(tz).replace(tzinfo=None):
            points.append((now.astimezone(tz).replace(tzinfo=None), points[-1][1]))
        chart.add(f"เกรด {grade}", points)
    return chart.render()


def bar_svg(title: str, labels: list[str], series: dict[str, list[float]], height: int = 340) -> str:
    """A plain bar chart (the council report's kg by material and by village)."""
    import pygal

    chart = pygal.Bar(
        style=_style(),
        width=900,
        height=height,
        title=title,
        js=[],
        x_label_rotation=30,
        truncate_label=-1,
        print_values=False,
        legend_at_bottom=True,
    )
    chart.x_labels = labels
    for name, values in series.items():
        chart.add(name, values)
    return chart.render(is_unicode=True)
