"""Hypothesis profiles: `ci` runs each property test at its full count, `dev` (the default on a laptop) a fifth.

CI sets CI=true (or HYPOTHESIS_PROFILE=ci); anyone can choose with HYPOTHESIS_PROFILE=dev|ci. A test says how
many examples it deserves in CI with `examples(n)`, so the suite stays quick to run while it grows.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
settings.register_profile("ci", deadline=None, suppress_health_check=list(HealthCheck), database=None, print_blob=True)
settings.register_profile("dev", deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(PROFILE)


def examples(ci_count: int) -> int:
    """The number of examples for this profile: all of them in CI, a fifth (at least 5) in dev."""
    return ci_count if PROFILE == "ci" else max(5, ci_count // 5)
