"""Tests for pickup.route: hand-made rounds plus hypothesis properties."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pickup.route import (
    Stop,
    haversine_m,
    nearest_neighbour_order,
    order_stops,
    path_length_m,
)
from tests.props import examples

CENTRE = (19.9000, 99.8000)  # a collection centre in Chiang Rai


def _road(n: int, step: float = 0.002) -> list[tuple[float, float]]:
    """Points heading north-east from the centre along a straight road."""
    return [(CENTRE[0] + step * (i + 1), CENTRE[1] + step * (i + 1) * 0.5) for i in range(n)]


def _points(stops, order):
    by_key = {s.key: s for s in stops}
    return [(by_key[k].lat, by_key[k].lng) for k in order if by_key[k].lat is not None]


def test_haversine_known_distance():
    # one degree of latitude is ~111.2 km
    assert haversine_m((19.0, 99.8), (20.0, 99.8)) == pytest.approx(111_195, rel=1e-3)
    assert haversine_m(CENTRE, CENTRE) == 0.0


def test_zigzag_keys_become_line_order():
    road = _road(6)
    # keys deliberately zig-zag: key order 1..6 visits positions 5,0,4,1,3,2
    positions = [5, 0, 4, 1, 3, 2]
    stops = [Stop(key=k + 1, lat=road[pos][0], lng=road[pos][1]) for k, pos in enumerate(positions)]
    result = order_stops(CENTRE, stops)
    assert result == [2, 4, 6, 5, 3, 1]  # nearest to farthest along the road
    naive = sorted(s.key for s in stops)
    assert path_length_m(CENTRE, _points(stops, result)) < path_length_m(CENTRE, _points(stops, naive)) / 3


def test_centre_leg_counts():
    # a close stop just behind the centre is worth taking first, then head east
    stops = [Stop(1, 19.9000, 99.7990), Stop(2, 19.9000, 99.8030), Stop(3, 19.9000, 99.8060)]
    assert order_stops(CENTRE, stops) == [1, 2, 3]
    assert order_stops(None, stops) == [1, 2, 3]  # no centre: lowest key starts


def test_two_opt_undoes_nearest_neighbour_backtrack():
    # offsets from the centre in 0.001 deg (~100 m) steps, (north, east)
    offsets = {1: (2, 5), 2: (0, 3), 3: (-2, 2), 4: (-4, -1), 5: (1, -2)}
    stops = [Stop(k, CENTRE[0] + n * 0.001, CENTRE[1] + e * 0.001) for k, (n, e) in offsets.items()]
    nn = nearest_neighbour_order(CENTRE, stops)
    assert nn == [5, 2, 3, 4, 1]  # greedy runs south-west, then back north-east
    result = order_stops(CENTRE, stops)
    assert result == [5, 4, 3, 2, 1]  # one sweep
    assert path_length_m(CENTRE, _points(stops, result)) < 0.8 * path_length_m(CENTRE, _points(stops, nn))


def test_without_centre_starts_at_lowest_key():
    road = _road(4)
    stops = [Stop(10, *road[2]), Stop(11, *road[0]), Stop(12, *road[3]), Stop(13, *road[1])]
    assert order_stops(None, stops)[0] == 10


def test_unlocated_last_grouped_by_village():
    road = _road(2)
    stops = [
        Stop(9, None, None, "ห้วยไคร้"),
        Stop(3, None, 99.8, None),
        Stop(7, *road[1], village="ดอยแม่สลอง"),
        Stop(5, None, None, "ดอยแม่สลอง"),
        Stop(1, None, None, "ห้วยไคร้"),
        Stop(2, *road[0]),
        Stop(8, None, None, None),
        Stop(4, None, None, "Ban Pa Sang"),
    ]
    # located first; then villages alphabetically (code-point order), None last
    assert order_stops(CENTRE, stops) == [2, 7, 4, 5, 1, 9, 3, 8]


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_rounds(n):
    stops = [Stop(k, *p) for k, p in enumerate(_road(n))]
    assert order_stops(CENTRE, stops) == list(range(n))
    assert order_stops(None, stops) == list(range(n))
    assert nearest_neighbour_order(CENTRE, stops) == list(range(n))


def test_duplicate_coordinates():
    stops = [Stop(3, 19.91, 99.81), Stop(1, 19.91, 99.81), Stop(2, 19.92, 99.81), Stop(4, 19.91, 99.81)]
    result = order_stops(CENTRE, stops)
    assert sorted(result) == [1, 2, 3, 4]
    assert result == [1, 3, 4, 2]  # same spot: keys ascending, then onwards


def test_300_stops_improve_on_nearest_neighbour():
    rng = random.Random(7)
    stops = [Stop(k, 19.8 + rng.random() * 0.2, 99.7 + rng.random() * 0.2) for k in range(300)]
    result = order_stops(CENTRE, stops)
    assert sorted(result) == list(range(300))
    nn = nearest_neighbour_order(CENTRE, stops)
    assert path_length_m(CENTRE, _points(stops, result)) < path_length_m(CENTRE, _points(stops, nn))


# --- properties -----------------------------------------------------------

coord = st.one_of(
    st.tuples(st.floats(19.7, 20.1), st.floats(99.6, 100.0)),
    st.just((None, None)),
    st.sampled_from([(19.9, 99.8), (19.95, 99.85)]),  # encourage duplicate points
)
villages = st.sampled_from([None, "Ban A", "Ban B", "ป่าซาง"])


@st.composite
def rounds(draw):
    keys = draw(st.lists(st.integers(0, 10_000), unique=True, max_size=40))
    stops = []
    for k in keys:
        lat, lng = draw(coord)
        stops.append(Stop(k, lat, lng, draw(villages)))
    start = draw(st.one_of(st.none(), st.just(CENTRE), st.tuples(st.floats(19.7, 20.1), st.floats(99.6, 100.0))))
    return start, stops


@settings(max_examples=examples(200))
@given(rounds())
def test_output_is_permutation_of_keys(case):
    start, stops = case
    assert sorted(order_stops(start, stops)) == sorted(s.key for s in stops)


@settings(max_examples=examples(200))
@given(rounds())
def test_two_opt_never_longer_than_nearest_neighbour(case):
    start, stops = case
    located = [s for s in stops if s.lat is not None]
    opt = order_stops(start, stops)[: len(located)]
    nn = nearest_neighbour_order(start, stops)
    assert sorted(opt) == sorted(nn)
    if start is None and located:
        assert opt[0] == nn[0] == min(s.key for s in located)
    assert path_length_m(start, _points(stops, opt)) <= path_length_m(start, _points(stops, nn)) + 1e-6


@settings(max_examples=examples(100))
@given(rounds(), st.randoms(use_true_random=False))
def test_deterministic_and_input_order_independent(case, rnd):
    start, stops = case
    first = order_stops(start, stops)
    assert order_stops(start, stops) == first
    shuffled = list(stops)
    rnd.shuffle(shuffled)
    assert order_stops(start, shuffled) == first
