"""Bayesian optimisation: a Gaussian-process model of the metric, log EI and a confidence bound.

The maths lives in :mod:`hyperwidget.samplers._gp`; this module turns a sweep's
history into training data and a proposal back into a configuration.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperwidget.errors import SweepConfigError
from hyperwidget.samplers._base import Sampler
from hyperwidget.space import SearchSpace
from hyperwidget.trial import Goal, TrialRecord, TrialStatus

_VALUE_STATES = (TrialStatus.COMPLETED, TrialStatus.STOPPED_EARLY, TrialStatus.TIMED_OUT, TrialStatus.CANCELED)
_FAILURE_STATES = (TrialStatus.FAILED, TrialStatus.CRASHED)
_MAX_MODEL_POINTS = 300
_UCB_PERIOD = 3


class BayesianParameterSampling(Sampler):
    """Gaussian-process Bayesian optimisation (HyperDrive's ``"bayesian"`` sampling).

    Unlike Azure, every expression type is supported (log scales, integers,
    quantized values, categoricals and the normal-family priors), and early
    termination policies may be combined with it.

    Parameters
    ----------
    parameter_space : mapping
        Names to expressions or constants, as for every sampler.
    properties : dict, optional
        HyperDrive v1's opaque properties; ``"seed"`` and ``"n_initial"`` are read.
    seed : int, optional
        Makes proposal ``i`` a function of ``(seed, i, history)`` only.
    n_initial : int, optional
        Number of scrambled-Sobol proposals before the model is used; by default
        ``min(10, max(5, d + 3))`` for ``d`` hyperparameters.
    max_fit_iterations : int
        Cap on L-BFGS-B iterations of the GP hyperparameter fit (bounds the time per proposal).

    Notes
    -----
    How the history becomes training data (the metric is turned into a loss,
    ``value`` when minimising and ``-value`` when maximising):

    - *Completed*, *StoppedEarly*, *TimedOut* and *Canceled* trials count with
      the **last** value logged for the primary metric: the final score of a
      finished trial, and the score a stopped trial had reached (a stopped
      trial's last value is usually poor, which correctly steers the model away).
      A Canceled or StoppedEarly trial that logged nothing is ignored.
    - *Failed* and *Crashed* trials, and Completed/TimedOut trials whose last
      value is missing, NaN or infinite, are given the **worst** loss observed so
      far: the model learns to avoid the region without an arbitrary penalty
      that would distort its scale.
    - *Queued* and *Running* trials are "kriging believers": once the model is
      fitted on finished trials, each pending point is added with the model's
      own prediction there (never better than the incumbent), which removes the
      uncertainty at that point so concurrent proposals spread out; and no
      point within 0.1 (in the unit cube) of a pending point is proposed, as
      the believer alone leaves the acquisition's peak in place once the model
      is sure of a basin.
    - Records whose parameters are not in the space (e.g. a history from a
      sweep with another space) are skipped.

    Acquisition is a fixed portfolio: proposal ``i`` maximises log expected
    improvement, except every third one (``i % 3 == 2``) which maximises the
    GP-UCB confidence bound (Srinivas et al. 2010, with the usual fifth of
    their ``beta``). Log EI alone becomes greedy once the model is confident
    about a basin and stalls on rugged or multi-funnel losses (Rastrigin,
    Schaffer, Gallagher, the attractive sector); the bound keeps some
    proposals on promising but uncertain regions.

    The targets are standardised and passed through a Yeo-Johnson power
    transform, which tames the heavy tails of losses such as Rosenbrock's or
    of diverging trainings. The first ``n_initial`` proposals (or more, while
    fewer than two trials have finished) are points ``i`` of a scrambled Sobol
    sequence; a resumed sweep's history therefore warm-starts the model
    directly. Without a seed, the Sobol scrambling is drawn once per sampler
    object, so a sweep reloaded from storage continues with another scrambling.

    Cost: the GP hyperparameters are fitted on at most 100 trials and the
    posterior conditions on at most 300 (in both cases the best half and an
    even spread of the others), and BLAS runs on one thread during a proposal,
    so the time of a proposal stops growing past a few hundred trials
    (``benchmarks/search_quality.py`` measures it; the evidence for these
    choices is in ``benchmarks/results/design_notes.md``).

    Examples
    --------
    >>> from hyperwidget.space import choice, uniform
    >>> sampler = BayesianParameterSampling({"x": uniform(0, 1), "kind": choice("a", "b")}, seed=0)
    >>> first = sampler.suggest([], "loss", Goal.MINIMIZE)  # a Sobol point: no trial has finished yet
    >>> sorted(first), 0 <= first["x"] <= 1, first["kind"] in ("a", "b")
    (['kind', 'x'], True, True)
    >>> sampler.suggest([], "loss", Goal.MINIMIZE) == first  # a function of (seed, index, history)
    True
    """

    name = "bayesian"

    def __init__(
        self,
        parameter_space: Mapping[str, Any],
        properties: Mapping[str, Any] | None = None,
        *,
        seed: int | None = None,
        n_initial: int | None = None,
        max_fit_iterations: int = 60,
    ) -> None:
        properties = dict(properties or {})
        super().__init__(parameter_space, seed=seed if seed is not None else properties.get("seed"))
        n_initial = n_initial if n_initial is not None else properties.get("n_initial")
        if n_initial is not None and (not isinstance(n_initial, int) or isinstance(n_initial, bool) or n_initial < 1):
            raise SweepConfigError(
                f"BayesianParameterSampling: n_initial must be a positive int, got {n_initial!r}; "
                "leave it unset for min(10, max(5, d + 3))."
            )
        if not isinstance(max_fit_iterations, int) or max_fit_iterations < 1:
            raise SweepConfigError(
                f"BayesianParameterSampling: max_fit_iterations must be a positive int, got {max_fit_iterations!r}."
            )
        dims = self.space.dims
        self.n_initial = n_initial if n_initial is not None else min(10, max(5, dims + 3))
        self.max_fit_iterations = max_fit_iterations
        # The Sobol scrambling must be the same for every proposal of a sweep, also without a seed.
        self._sobol_seed = int(self.seed) if self.seed is not None else int(np.random.default_rng().integers(2**31))
        self._encoder: Any = None
        self._rows: dict[str, tuple[dict[str, Any], np.ndarray | None]] = {}

    # -- proposal -------------------------------------------------------------------------------
    def suggest(self, history: Sequence[TrialRecord], metric: str, goal: Goal) -> dict[str, Any] | None:
        index = len(history)
        if self.space.dims == 0:
            return self.space.from_unit([])
        goal = Goal.parse(goal)
        x, loss, failed, pending = self._training_data(history, metric, goal)
        if index < self.n_initial or len(loss) < 2:
            return self._sobol(index)
        explore = index % _UCB_PERIOD == _UCB_PERIOD - 1
        return self._model_proposal(x, loss, failed, pending, self.rng(index), explore)

    def _sobol(self, index: int) -> dict[str, Any]:
        from scipy.stats import qmc

        engine = qmc.Sobol(self.space.dims, scramble=True, seed=self._sobol_seed)
        if index:
            engine.fast_forward(index)
        return self.space.from_unit(engine.random(1)[0])

    def _model_proposal(
        self,
        x: np.ndarray,
        loss: np.ndarray,
        failed: np.ndarray,
        pending: np.ndarray,
        rng: np.random.Generator,
        explore: bool,
    ) -> dict[str, Any]:
        # Imported first so that scipy's BLAS is loaded when threadpoolctl looks for it.
        import hyperwidget.samplers._gp.acquisition  # noqa: F401

        with _blas_single_thread():
            return self._fit_and_maximise(x, loss, failed, pending, rng, explore)

    def _fit_and_maximise(
        self,
        x: np.ndarray,
        loss: np.ndarray,
        failed: np.ndarray,
        pending: np.ndarray,
        rng: np.random.Generator,
        explore: bool,
    ) -> dict[str, Any]:
        """Fit the GP and maximise log EI, or the confidence bound when ``explore``."""
        from hyperwidget.samplers._gp.acquisition import optimize_acquisition, ucb_beta
        from hyperwidget.samplers._gp.gp import GaussianProcess, fit_hyperparameters, subset

        encoder = self.encoder
        y = _warp(loss)
        x_all = np.vstack([x, failed]) if len(failed) else x
        y_all = np.r_[y, np.full(len(failed), y.max())]
        taken = np.vstack([x_all, pending]) if len(pending) else x_all
        if len(y_all) > _MAX_MODEL_POINTS:
            # The posterior costs O(n^3) to build and O(n^2) per candidate: past a few hundred
            # trials, condition on the best half and an even spread of the others.
            x_all, y_all = subset(x_all, y_all, _MAX_MODEL_POINTS)
        hyper = fit_hyperparameters(x_all, y_all, encoder.is_cat, maxiter=self.max_fit_iterations)
        gp = GaussianProcess(x_all, y_all, encoder.is_cat, hyper)
        best = float(y.min())
        if len(pending):
            believed, _ = gp.predict(pending)
            gp = gp.condition(pending, np.maximum(believed, best))
        anchors = x[np.argsort(y, kind="stable")[:5]]
        beta = ucb_beta(len(gp.y), x.shape[1]) if explore else None
        point = optimize_acquisition(gp, encoder, best, anchors, rng, taken, ucb=beta, avoid=pending)
        if beta is not None and np.any(np.all(np.abs(taken - point) < 1e-9, axis=1)):
            # In a discrete space the bound can peak at a tried point (nothing left to learn): use log EI.
            point = optimize_acquisition(gp, encoder, best, anchors, rng, taken, avoid=pending)
        return encoder.decode(point)

    # -- history -> training data ---------------------------------------------------------------
    @property
    def encoder(self) -> Any:
        """The space's encoder (built lazily: it imports the GP package)."""
        if self._encoder is None:
            from hyperwidget.samplers._gp.encoding import Encoder

            self._encoder = Encoder(self.space)
        return self._encoder

    def _training_data(
        self, history: Sequence[TrialRecord], metric: str, goal: Goal
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Cube points and losses of scored trials, then points of failed and of pending trials."""
        d = self.space.dims
        scored: list[np.ndarray] = []
        losses: list[float] = []
        failed: list[np.ndarray] = []
        pending: list[np.ndarray] = []
        for record in history:
            row = self._encode(record)
            if row is None:
                continue
            status = record.status
            if not status.is_finished:
                pending.append(row)
                continue
            value = record.last(metric) if status in _VALUE_STATES else math.nan
            if math.isfinite(value):
                scored.append(row)
                losses.append(goal.sign() * value)
            elif status in _FAILURE_STATES or status in (TrialStatus.COMPLETED, TrialStatus.TIMED_OUT):
                failed.append(row)

        def stack(rows: list[np.ndarray]) -> np.ndarray:
            return np.array(rows, dtype=float).reshape(len(rows), d)

        return stack(scored), np.array(losses, dtype=float), stack(failed), stack(pending)

    def _encode(self, record: TrialRecord) -> np.ndarray | None:
        """The cube point of a record's parameters (memoised per record id), or None if not in the space."""
        cached = self._rows.get(record.id)
        if cached is not None and cached[0] == record.params:
            return cached[1]
        try:
            row = self.encoder.encode(record.params)
        except (KeyError, ValueError, TypeError):
            row = None
        self._rows[record.id] = (dict(record.params), row)
        return row

    def to_json(self) -> dict[str, Any]:
        """Plain data: name, seed, space, settings and the scrambling of the initial Sobol points."""
        return {
            **super().to_json(),
            "n_initial": self.n_initial,
            "max_fit_iterations": self.max_fit_iterations,
            "sobol_seed": self._sobol_seed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BayesianParameterSampling:
        """Rebuild a sampler from ``to_json`` output (same initial points, also for ``seed=None``)."""
        sampler = cls(
            SearchSpace.from_json(data["space"]), seed=data.get("seed"), n_initial=data.get("n_initial"),
            max_fit_iterations=data.get("max_fit_iterations", 60),
        )  # fmt: skip
        if data.get("sobol_seed") is not None:
            sampler._sobol_seed = int(data["sobol_seed"])
        return sampler


_CONTROLLER: Any = None


def _blas_single_thread() -> Any:
    """A context limiting BLAS to one thread.

    The matrices are small (a few hundred rows): a multi-threaded BLAS spends
    more on synchronisation than on work.
    """
    global _CONTROLLER
    from threadpoolctl import ThreadpoolController

    if _CONTROLLER is None:
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


def _warp(loss: np.ndarray) -> np.ndarray:
    """Standardise, Yeo-Johnson transform and standardise again (lower is still better).

    The transform's ``lambda`` maximises the Gaussian likelihood over a grid of
    81 values in [-2, 2], vectorised (in place of ``scipy.stats.yeojohnson``'s
    bounded search, which is much slower).
    """
    y = _standardise(loss)
    if np.ptp(y) == 0 or len(y) < 3:
        return y
    lambdas = np.linspace(-2.0, 2.0, 81)[:, None]
    candidates = _yeo_johnson(y[None, :], lambdas)
    variance = candidates.var(axis=1)
    with np.errstate(divide="ignore"):
        log_lik = -0.5 * len(y) * np.log(variance) + (lambdas[:, 0] - 1) * np.sum(np.sign(y) * np.log1p(np.abs(y)))
    log_lik[~np.isfinite(log_lik)] = -np.inf
    return _standardise(candidates[int(np.argmax(log_lik))])


def _yeo_johnson(y: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """The Yeo-Johnson transform of ``y`` (1 x n) for every ``lam`` (k x 1)."""
    pos = y >= 0
    yp, yn = np.log1p(np.where(pos, y, 0.0)), np.log1p(np.where(pos, 0.0, -y))
    lam_p = np.where(np.abs(lam) < 1e-8, 1.0, lam)
    lam_n = np.where(np.abs(lam - 2) < 1e-8, 1.0, 2 - lam)
    out_p = np.where(np.abs(lam) < 1e-8, yp, np.expm1(lam_p * yp) / lam_p)
    out_n = np.where(np.abs(lam - 2) < 1e-8, -yn, -np.expm1(lam_n * yn) / lam_n)
    return np.where(pos, out_p, out_n)


def _standardise(y: np.ndarray) -> np.ndarray:
    std = float(np.std(y))
    return (y - np.mean(y)) / (std if std > 0 and math.isfinite(std) else 1.0)
