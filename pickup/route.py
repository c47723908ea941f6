"""Ordering a collector's pickup round.

Pure Python on purpose: a round is at most a few hundred stops, so a nearest-
neighbour start plus 2-opt on a precomputed distance matrix is fast enough and
needs no routing service (rural lanes are rarely mapped well anyway).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius; sub-0.5% error is fine for ordering
MAX_PASSES = 50  # bounds the worst case; real rounds converge in a handful of passes
_EPS = 1e-7  # a move must save more than this (metres) so float noise can't loop

Point = tuple[float, float]


@dataclass(frozen=True)
class Stop:
    """One place to visit; ``key`` is opaque to us (e.g. a pickup request id)."""

    key: int
    lat: float | None
    lng: float | None
    village: str | None = None

    @property
    def point(self) -> Point | None:
        """(lat, lng), or None when unknown/unusable so it can't poison distances."""
        if self.lat is None or self.lng is None:
            return None
        if not (math.isfinite(self.lat) and math.isfinite(self.lng)):
            return None
        return (self.lat, self.lng)


def haversine_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres between two (lat, lng) points in degrees."""
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def path_length_m(start: Point | None, ordered_points: Sequence[Point]) -> float:
    """Length of the open path start -> p0 -> p1 ...; the leg from the centre counts."""
    pts = ([start] if start is not None else []) + list(ordered_points)
    return sum(haversine_m(pts[i], pts[i + 1]) for i in range(len(pts) - 1))


def _prepare(start: Point | None, stops: Sequence[Stop]) -> tuple[list[Stop], list[list[float]], int]:
    """Located stops sorted by key, the distance matrix, and the index of the fixed origin.

    Node 0 is the centre when given (then stop i is node i+1); without a centre the
    lowest-key stop is node 0 and stays first, as the spec asks.
    """
    located = sorted((s for s in stops if s.point is not None), key=lambda s: s.key)
    pts = ([start] if start is not None else []) + [s.point for s in located]
    dist = [[haversine_m(p, q) for q in pts] for p in pts]
    return located, dist, (1 if start is not None else 0)


def _nn_path(dist: list[list[float]], n: int) -> list[int]:
    """Greedy nearest neighbour from node 0; ties go to the lower node (= lower key)."""
    path, left = [0], set(range(1, n))
    while left:
        row = dist[path[-1]]
        nxt = min(left, key=lambda j: (row[j], j))
        path.append(nxt)
        left.remove(nxt)
    return path


def _two_opt(path: list[int], dist: list[list[float]]) -> list[int]:
    """Open-path 2-opt with path[0] fixed: reverse path[i..j] while that shortens it.

    Only strictly improving moves are taken, so the result is never longer than the
    input path; first-improvement scanning keeps it fast in pure Python.
    """
    p, last = list(path), len(path) - 1
    for _ in range(MAX_PASSES):
        improved = False
        for i in range(1, last):
            for j in range(i + 1, last + 1):
                a, b, c = p[i - 1], p[i], p[j]
                row_a = dist[a]
                delta = row_a[c] - row_a[b]
                if j < last:  # interior segment: the edge after it is swapped too
                    d = p[j + 1]
                    delta += dist[b][d] - dist[c][d]
                if delta < -_EPS:
                    p[i : j + 1] = p[i : j + 1][::-1]
                    improved = True
        if not improved:
            break
    return p


def _keys(path: list[int], located: list[Stop], offset: int) -> list[int]:
    return [located[node - offset].key for node in path if node >= offset]


def nearest_neighbour_order(start: Point | None, stops: Sequence[Stop]) -> list[int]:
    """Keys of the located stops in plain nearest-neighbour order (baseline for 2-opt)."""
    located, dist, offset = _prepare(start, stops)
    if not located:
        return []
    return _keys(_nn_path(dist, len(dist)), located, offset)


def order_stops(start: Point | None, stops: Sequence[Stop]) -> list[int]:
    """Visiting order of stop keys: located stops routed, then unlocated ones by village.

    Unlocated stops go last because the collector has to ask around for them;
    grouping by village (alphabetical, unknown last, keys ascending) keeps that
    part of the round predictable. Input order never matters: all ties go by key.
    """
    located, dist, offset = _prepare(start, stops)
    routed = _keys(_two_opt(_nn_path(dist, len(dist)), dist), located, offset) if located else []
    unlocated = sorted(
        (s for s in stops if s.point is None),
        key=lambda s: (s.village is None, s.village or "", s.key),
    )
    return routed + [s.key for s in unlocated]
