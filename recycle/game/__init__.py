"""The game: points, levels, badges, leaderboards, challenges and rewards (a subpackage of the core)."""
