"""Server-side SVG charts (pygal): they print, and need no JavaScript on a cheap phone."""

from __future__ import annotations

import pygal
from pygal.style import Style

from recycle.thai_dates import MONTHS_EN, MONTHS_TH_SHORT, be_year

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#111",
    foreground_subtle="#888",
    colors=("#2e7d32", "#1565c0"),
    font_family="Sarabun, sans-serif",
)


def month_label(key: str, lang: str) -> str:
    """'2026-11' -> 'พ.ย. 69' / 'Nov 26'."""
    y, m = int(key[:4]), int(key[5:7])
    if lang == "th":
        return f"{MONTHS_TH_SHORT[m - 1]} {be_year(y) % 100:02d}"
    return f"{MONTHS_EN[m - 1][:3]} {y % 100:02d}"


def trend_svg(trend: list[tuple[str, int, int]], lang: str) -> str:
    """Kilograms kept out of landfill and kg CO2e avoided, month by month (whole kilograms)."""
    chart = pygal.Bar(
        style=STYLE,
        width=720,
        height=300,
        legend_at_bottom=True,
        disable_xml_declaration=True,
        x_label_rotation=30,
        show_y_guides=True,
        print_values=False,
        js=[],
    )
    chart.title = "แนวโน้ม 12 เดือน" if lang == "th" else "12-month trend"
    chart.x_labels = [month_label(k, lang) for k, _, _ in trend]
    chart.add("ขยะรีไซเคิล (กก.)" if lang == "th" else "Recycled (kg)", [w // 1000 for _, w, _ in trend])
    chart.add("CO2e ที่ลดได้ (กก.)" if lang == "th" else "CO2e avoided (kg)", [c // 1000 for _, _, c in trend])
    return chart.render(is_unicode=True)
