"""The council report: on screen, as an A4 PDF in Thai with charts, and every table as CSV and Excel."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import Response, render_template, request

from api.session import session as db_session
from console import charts, i18n
from console.pdf import pdf_response
from console.web import bp, tenant
from enterprise import council_report
from recycle import csv_safe
from recycle.errors import InvalidInput

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _period() -> tuple[dt.date, dt.date]:
    """`from`/`to` local dates, both days included; or `month=YYYY-MM` / `year=YYYY`; default: last month."""
    args = request.args
    try:
        if args.get("year"):
            return council_report.year(dt.date(int(args["year"]), 1, 1))
        if args.get("month"):
            y, m = (int(x) for x in args["month"].split("-"))
            return council_report.month(dt.date(y, m, 1))
        if args.get("from") and args.get("to"):
            return dt.date.fromisoformat(args["from"]), dt.date.fromisoformat(args["to"])
    except ValueError:
        raise InvalidInput.field("from", "give local dates YYYY-MM-DD, month=YYYY-MM or year=YYYY") from None
    last_month_day = tenant().local_date().replace(day=1) - dt.timedelta(days=1)
    return council_report.month(last_month_day)


def _charts(rep: council_report.CouncilReport) -> dict[str, str]:
    return {
        "materials": charts.bar_svg(
            "กิโลกรัมตามวัสดุ · kg by material",
            [r["name_th"] for r in rep.by_material],
            {"กก. / kg": [r["weight_g"] / 1000 for r in rep.by_material]},
        ),
        "villages": charts.bar_svg(
            "กิโลกรัมตามหมู่บ้าน · kg by village",
            [f"ม.{r['moo']} {r['name_th']}" for r in rep.by_village],
            {"กก. / kg": [r["weight_g"] / 1000 for r in rep.by_village]},
        ),
        "participation": charts.bar_svg(
            "ครัวเรือนที่ร่วมโครงการ · participating households",
            [f"ม.{r['moo']}" for r in rep.by_village],
            {
                "ร่วม / active": [r["active"] for r in rep.by_village],
                "สมาชิก / registered": [r["registered"] for r in rep.by_village],
            },
        ),
    }


def _xlsx(rep: council_report.CouncilReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    for name, (headers, rows) in rep.tables().items():
        ws = wb.create_sheet(name)
        ws.append([f"{rep.tenant_name} · {name} · {rep.start.isoformat()} – {rep.end.isoformat()}"])
        ws.append(headers)
        for cell in ws[2]:
            cell.font = Font(bold=True)
        for row in rows:  # numbers as numbers, text through the same guard as the CSV
            ws.append([_number(v) for v in row])
        for col in ws.columns:
            ws.column_dimensions[col[1].column_letter].width = 22
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _number(value: Any) -> Any:
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    try:
        return float(text) if text.replace(".", "", 1).lstrip("-").isdigit() else csv_safe.safe_cell(text)
    except ValueError:
        return csv_safe.safe_cell(text)


@bp.get("/reports/council")
def council():  # noqa: ANN201
    start, end = _period()
    rep = council_report.build(db_session(), tenant(), start, end)
    fmt = request.args.get("format", "html")
    name = f"council-{start.isoformat()}-{end.isoformat()}"
    if fmt == "csv":
        table = request.args.get("table", "money")
        tables = rep.tables()
        if table not in tables:
            raise InvalidInput.field("table", f"one of {', '.join(tables)}")
        out = io.StringIO()
        w = csv_safe.writer(out)
        w.writerow(tables[table][0])
        w.writerows(tables[table][1])
        return Response(
            "\ufeff" + out.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f"attachment; filename={name}-{table}.csv"},
        )
    if fmt == "xlsx":
        return Response(_xlsx(rep), mimetype=XLSX, headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
    if fmt == "pdf":
        return pdf_response(
            "console/reports/council_pdf.html", filename=f"{name}.pdf", rep=rep, charts=_charts(rep), tenant=tenant()
        )
    if fmt != "html":
        raise InvalidInput.field("format", "html, pdf, csv or xlsx")
    return render_template(
        "console/reports/council.html", rep=rep, charts=_charts(rep), tables=rep.tables(), title=i18n.gettext("council_report")
    )
