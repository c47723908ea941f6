import datetime as dt
import zoneinfo

from recycle.thai_dates import ce_year, format_date, format_datetime, format_month


def test_buddhist_era_dates_and_thai_months():
    d = dt.date(2026, 11, 25)
    assert format_date(d) == "25 พ.ย. 2569"
    assert format_date(d, style="long") == "25 พฤศจิกายน 2569"
    assert format_date(d, style="numeric") == "25/11/2569"
    assert format_date(d, "en") == "25 Nov 2026"
    assert format_month(2026, 1) == "มกราคม 2569"


def test_a_utc_instant_is_shown_in_the_tenants_zone():
    instant = dt.datetime(2026, 11, 24, 18, 30, tzinfo=dt.UTC)
    assert format_datetime(instant, zoneinfo.ZoneInfo("Asia/Bangkok")) == "25 พ.ย. 2569 01:30 น."


def test_typed_years_in_either_era():
    assert ce_year(2569) == 2026
    assert ce_year(2026) == 2026
