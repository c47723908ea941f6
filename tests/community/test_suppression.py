"""Suppression rules: no shown count below 5, and never exactly one hidden count beside a published total."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from enterprise.community_stats import complementary, suppress


@given(st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=12))
def test_no_small_count_shown_and_none_derivable_from_the_total(counts: list[int]) -> None:
    total_shown = suppress(sum(counts)) is not None
    shown = complementary([suppress(n) for n in counts], total_shown)
    assert all(c is None or c >= 5 for c in shown)
    hidden = [n for n, c in zip(counts, shown) if c is None]
    assert len(hidden) != 1 or not total_shown  # total minus the shown ones would be that one count
    assert [c for c in shown if c is not None] == [n for n, c in zip(counts, shown) if c is not None]


def test_examples() -> None:
    assert complementary([suppress(n) for n in (3, 6, 9)]) == [None, None, 9]
    assert complementary([suppress(n) for n in (3, 2, 9)]) == [None, None, 9]
    assert complementary([suppress(n) for n in (5, 6)]) == [5, 6]
