"""Exact money and weight arithmetic: integer satang and grams, rounding half up, never a float."""

from __future__ import annotations


def round_half_up_div(numerator: int, denominator: int) -> int:
    """round(numerator / denominator) with halves away from zero, in integers."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    q, r = divmod(abs(numerator), denominator)
    q += 1 if 2 * r >= denominator else 0
    return q if numerator >= 0 else -q


def line_amount_satang(weight_g: int, price_satang_per_kg: int) -> int:
    """DESIGN.md: a line's amount is round_half_up(weight_g * price_satang_per_kg / 1000)."""
    return round_half_up_div(weight_g * price_satang_per_kg, 1000)


def piece_amount_satang(quantity: int, price_satang_per_piece: int) -> int:
    return quantity * price_satang_per_piece


def format_baht(satang: int) -> str:
    """12345 -> '123.45' (for receipts and payloads; integer arithmetic only)."""
    sign = "-" if satang < 0 else ""
    baht, st = divmod(abs(satang), 100)
    return f"{sign}{baht:,}.{st:02d}"
