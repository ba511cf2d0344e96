"""ParEGO's random scalarisation of several losses (Knowles 2006).

Each proposal draws its own weight vector uniformly from the simplex and
turns the losses into one with the augmented Chebyshev function
``max_j(w_j f_j) + rho * sum_j(w_j f_j)``, where every ``f_j`` is normalised
to ``[0, 1]`` by the range observed so far. Minimising it for some ``w``
reaches any point of the Pareto front, also on a non-convex part (which a
weighted sum misses), so proposals spread along the front as the weights vary.
"""

from __future__ import annotations

import numpy as np

#: Weight of the sum term: breaks ties of the max term (weakly dominated points score worse).
RHO = 0.05


def simplex_weights(m: int, rng: np.random.Generator) -> np.ndarray:
    """A weight vector drawn uniformly from the ``m``-simplex (normalised exponential draws)."""
    draws = rng.exponential(size=m)
    return draws / draws.sum()


def chebyshev(losses: np.ndarray, weights: np.ndarray, rho: float = RHO) -> np.ndarray:
    """The augmented Chebyshev scalarisation of ``losses`` (one row per trial, one column per objective).

    Each column is rescaled to ``[0, 1]`` by its observed minimum and maximum
    (a constant column becomes 0), so objectives on different scales count
    alike; lower is better, as for every loss.
    """
    low, span = losses.min(axis=0), np.ptp(losses, axis=0)
    normalised = (losses - low) / np.where(span > 0, span, 1.0)
    weighted = normalised * weights
    return weighted.max(axis=1) + rho * weighted.sum(axis=1)
