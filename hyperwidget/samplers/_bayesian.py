"""Bayesian optimisation: a Gaussian-process model of the metric, log EI and a confidence bound.

The maths lives in :mod:`hyperwidget.samplers._gp`; this module turns a sweep's
history into training data and a proposal back into a configuration.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hyperwidget.errors import SweepConfigError
from hyperwidget.samplers._base import Sampler
from hyperwidget.space import SearchSpace
from hyperwidget.trial import Constraint, Goal, TrialRecord, TrialStatus

_VALUE_STATES = (TrialStatus.COMPLETED, TrialStatus.STOPPED_EARLY, TrialStatus.TIMED_OUT, TrialStatus.CANCELED)
_FAILURE_STATES = (TrialStatus.FAILED, TrialStatus.CRASHED)
_LIVE_STATES = (TrialStatus.QUEUED, TrialStatus.RUNNING)
_MAX_MODEL_POINTS = 300
_MAX_CONSTRAINT_POINTS = 100
_UCB_PERIOD = 3
#: From this many hyperparameters on, every proposal maximises log EI (no confidence-bound member).
_NO_UCB_DIMS = 16


@dataclasses.dataclass(frozen=True)
class TrainingData:
    """The history as arrays of unit-cube points, one row per trial.

    ``x`` holds the trials with a finite value of every objective and
    ``losses`` those values as losses (one column per objective, lower is
    better); ``failed`` the finished trials without them; ``pending`` the
    queued and running ones. ``slack`` has one row per trial of ``x`` then of
    ``failed`` and one column per constraint that some trial has logged
    (``sign * (value - bound)``, feasible when ``<= 0``; ``nan`` when not
    logged); ``feasible`` tells which trials of ``x`` meet those constraints.
    """

    x: np.ndarray
    losses: np.ndarray
    failed: np.ndarray
    pending: np.ndarray
    slack: np.ndarray
    feasible: np.ndarray


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
    - **With ASHA or Hyperband** (``self.task.fidelity``, set by the engine from
      the policy) the rules above hold, but a trial counts with its value at a
      rung instead of its last value: the model is fitted on the highest rung
      (the full training included) that at least ``n_initial`` trials reached,
      each with its value there, as in BOHB (:mod:`hyperwidget.samplers._gp.fidelity`;
      ``benchmarks/multi_fidelity.py`` measures it). Single-objective sweeps only.
      A trial paused by a promotion variant of the policy counts like a stopped one.

    Acquisition is a fixed portfolio: proposal ``i`` maximises log expected
    improvement, except every third one (``i % 3 == 2``, below 16
    hyperparameters) which maximises the GP-UCB confidence bound (Srinivas
    et al. 2010, with the usual fifth of their ``beta``). Log EI alone becomes greedy once the model is confident
    about a basin and stalls on rugged or multi-funnel losses (Rastrigin,
    Schaffer, Gallagher, the attractive sector); the bound keeps some
    proposals on promising but uncertain regions.

    **Higher dimensions.** The GP's lengthscale prior grows with ``sqrt(d)``,
    centred on ``0.3 sqrt(d)`` below 10 hyperparameters and ``0.15 sqrt(d)``
    from 10 on, where a few dozen trials leave the model few points per
    dimension and a more local model finds better points (see
    :mod:`hyperwidget.samplers._gp.gp`); and from 16 hyperparameters on
    every proposal maximises log EI: the bound's ``beta`` grows with ``d``,
    and in that many dimensions its proposals go to barely explored corners
    of the cube, which a budget of a few dozen trials cannot afford.

    **Constraints** (``self.task.constraints``, set by the engine from the
    sweep's ``constraints``, e.g. ``"latency <= 5"``): one more GP per
    constrained metric, fitted on the final values of the finished trials (a
    trial that failed or never logged the metric counts as the worst value
    seen), gives the probability that a point is feasible (PoF), and its log
    is added to the acquisition: ``log(EI x PoF)`` (Gardner et al. 2014), and
    the bound plus ``log PoF`` on the exploratory proposals. The EI incumbent
    is the best *feasible* trial; while no trial is feasible, proposals
    maximise the PoF alone (Gelbart et al. 2014). Infeasible trials
    still train the objective's GP. A constraint whose metric no trial has
    logged yet is left out until one does. A constraint's values are warped
    like the targets (below) when that fits them clearly better, e.g. a
    latency spanning orders of magnitude; its GP is fitted on at most 50
    trials and conditions on at most 100 (those nearest the bound and a
    spread of the others), so a constraint costs less than half as much as
    the objective's model.

    **Several objectives** (``self.task.objectives``, two or more): ParEGO
    (Knowles 2006). Each proposal draws a weight vector uniformly from the
    simplex with its own generator (so it is reproducible), normalises every
    objective to [0, 1] by its observed range (signed by its goal), and models
    their augmented Chebyshev scalarisation (``rho = 0.05``) as the single
    objective above; as the weights vary, proposals spread along the Pareto
    front. A trial missing one objective's value counts as failed. Constraints
    combine with it as above. Without a task, or with one objective and no
    constraint, proposals are exactly those of the single-objective sampler.

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
    #: How rung values become targets under a multi-fidelity policy (``hyperwidget.samplers._gp.fidelity.MODES``).
    _fidelity_mode = "highest"

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
        objectives, constraints = self._aims(metric, Goal.parse(goal))
        data = self._training_data(history, objectives, constraints)
        if index < self.n_initial or len(data.x) < 2:
            return self._sobol(index)
        rng = self.rng(index)
        if len(objectives) == 1:
            loss = data.losses[:, 0]
        else:
            from hyperwidget.samplers._gp.multi import chebyshev, simplex_weights

            loss = chebyshev(data.losses, simplex_weights(len(objectives), rng))
        explore = index % _UCB_PERIOD == _UCB_PERIOD - 1 and self.space.dims < _NO_UCB_DIMS
        return self._model_proposal(data, loss, rng, explore)

    def _aims(self, metric: str, goal: Goal) -> tuple[tuple[tuple[str, Goal], ...], tuple[Constraint, ...]]:
        """The objectives (``suggest``'s metric alone unless the task has several) and the constraints."""
        task = self.task
        if task is None:
            return ((metric, goal),), ()
        objectives = task.objectives if task.is_multi_objective else ((metric, goal),)
        return tuple((name, Goal.parse(g)) for name, g in objectives), tuple(task.constraints)

    def _sobol(self, index: int) -> dict[str, Any]:
        from scipy.stats import qmc

        engine = qmc.Sobol(self.space.dims, scramble=True, seed=self._sobol_seed)
        if index:
            engine.fast_forward(index)
        return self.space.from_unit(engine.random(1)[0])

    def _model_proposal(
        self, data: TrainingData, loss: np.ndarray, rng: np.random.Generator, explore: bool
    ) -> dict[str, Any]:
        # Imported first so that scipy's BLAS is loaded when threadpoolctl looks for it.
        import hyperwidget.samplers._gp.acquisition  # noqa: F401

        with _blas_single_thread():
            return self._fit_and_maximise(data, loss, rng, explore)

    def _fit_and_maximise(
        self, data: TrainingData, loss: np.ndarray, rng: np.random.Generator, explore: bool
    ) -> dict[str, Any]:
        """Fit the GP of ``loss`` (one per scored trial) and maximise log EI, or the confidence bound
        when ``explore``; with constraints, plus the log probability of feasibility."""
        from hyperwidget.samplers._gp.acquisition import optimize_acquisition, ucb_beta
        from hyperwidget.samplers._gp.gp import GaussianProcess, fit_hyperparameters, subset
        from hyperwidget.samplers._gp.warping import warp

        encoder = self.encoder
        x, failed, pending = data.x, data.failed, data.pending
        y = warp(loss)
        x_all = np.vstack([x, failed]) if len(failed) else x
        y_all = np.r_[y, np.full(len(failed), y.max())]
        taken = np.vstack([x_all, pending]) if len(pending) else x_all
        feasibility = self._feasibility_model(x_all, data.slack)
        if len(y_all) > _MAX_MODEL_POINTS:
            # The posterior costs O(n^3) to build and O(n^2) per candidate: past a few hundred
            # trials, condition on the best half and an even spread of the others.
            x_all, y_all = subset(x_all, y_all, _MAX_MODEL_POINTS)
        hyper = fit_hyperparameters(x_all, y_all, encoder.is_cat, maxiter=self.max_fit_iterations)
        gp = GaussianProcess(x_all, y_all, encoder.is_cat, hyper)
        if len(pending):
            believed, _ = gp.predict(pending)
            gp = gp.condition(pending, np.maximum(believed, float(y.min())))
        best, anchors = _incumbent_and_anchors(data, y)
        log_feasibility = feasibility.log_probability if feasibility is not None else None
        beta = ucb_beta(len(gp.y), x.shape[1]) if explore and best is not None else None

        def maximise(ucb: float | None) -> np.ndarray:
            return optimize_acquisition(
                gp, encoder, best, anchors, rng, taken, ucb=ucb, avoid=pending, log_feasibility=log_feasibility
            )

        point = maximise(beta)
        if beta is not None and np.any(np.all(np.abs(taken - point) < 1e-9, axis=1)):
            # In a discrete space the bound can peak at a tried point (nothing left to learn): use log EI.
            point = maximise(None)
        return encoder.decode(point)

    def _feasibility_model(self, x_all: np.ndarray, slack: np.ndarray) -> Any:
        """The constraints' model on the finished trials, or ``None`` without (observed) constraints."""
        if slack.shape[1] == 0:
            return None
        from hyperwidget.samplers._gp.constraints import FeasibilityModel

        return FeasibilityModel(
            x_all, slack, self.encoder.is_cat, maxiter=self.max_fit_iterations, max_points=_MAX_CONSTRAINT_POINTS
        )

    # -- history -> training data ---------------------------------------------------------------
    @property
    def encoder(self) -> Any:
        """The space's encoder (built lazily: it imports the GP package)."""
        if self._encoder is None:
            from hyperwidget.samplers._gp.encoding import Encoder

            self._encoder = Encoder(self.space)
        return self._encoder

    def _training_data(
        self,
        history: Sequence[TrialRecord],
        objectives: Sequence[tuple[str, Goal]],
        constraints: Sequence[Constraint] = (),
    ) -> TrainingData:
        """The history as cube points, losses, slacks and feasibility (the rules of the class Notes)."""
        scored: list[tuple[np.ndarray, TrialRecord]] = []
        failed: list[tuple[np.ndarray, TrialRecord]] = []
        pending: list[np.ndarray] = []
        fidelity = self.task.fidelity if self.task is not None else None
        for record in history:
            row = self._encode(record)
            if row is None:
                continue
            status = record.status
            if fidelity is not None and not status.is_finished and status not in _LIVE_STATES:
                status = TrialStatus.STOPPED_EARLY  # paused by ASHA's promotion variant: read at its rungs
            if not status.is_finished:
                pending.append(row)
            elif status in _VALUE_STATES and all(math.isfinite(record.last(name)) for name, _ in objectives):
                scored.append((row, record))
            elif status in _FAILURE_STATES or status in (TrialStatus.COMPLETED, TrialStatus.TIMED_OUT):
                failed.append((row, record))
        if fidelity is not None and len(objectives) == 1:
            # Multi-fidelity policy: stopped trials are read at their rungs (see _gp.fidelity), not at their last value.
            from hyperwidget.samplers._gp.fidelity import rung_losses

            (name, goal), records = objectives[0], [r for _, r in scored]
            keep, rung = rung_losses(records, name, goal, fidelity, self.n_initial, self._fidelity_mode)
            scored, losses = [scored[i] for i in keep], rung[:, None].tolist()
        else:
            losses = [[goal.sign() * record.last(name) for name, goal in objectives] for _, record in scored]
        slack, feasible = _constraint_columns([r for _, r in scored], [r for _, r in failed], constraints)
        return TrainingData(
            x=self._stack([row for row, _ in scored]),
            losses=np.array(losses, dtype=float).reshape(len(scored), len(objectives)),
            failed=self._stack([row for row, _ in failed]),
            pending=self._stack(pending),
            slack=slack,
            feasible=feasible,
        )

    def _stack(self, rows: list[np.ndarray]) -> np.ndarray:
        return np.array(rows, dtype=float).reshape(len(rows), self.space.dims)

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


def _incumbent_and_anchors(data: TrainingData, y: np.ndarray) -> tuple[float | None, np.ndarray]:
    """The incumbent target and up to five good points to search around (best first).

    With constraints the incumbent is the best *feasible* target, ``None`` when
    no trial is feasible (the proposal then maximises the probability of
    feasibility alone, Gelbart et al. 2014); the anchors are the feasible trials
    by target, then the others by how far they break the constraints.
    """
    if data.slack.shape[1] == 0:
        return float(y.min()), data.x[np.argsort(y, kind="stable")[:5]]
    best = float(y[data.feasible].min()) if data.feasible.any() else None
    return best, data.x[np.lexsort((y, _violation(data.slack)[: len(y)]))[:5]]


def _constraint_columns(
    scored: Sequence[TrialRecord], failed: Sequence[TrialRecord], constraints: Sequence[Constraint]
) -> tuple[np.ndarray, np.ndarray]:
    """The slacks of the scored then the failed trials, for the constraints some trial has logged
    (a metric no trial has logged yet cannot be modelled), and which scored trials meet them."""
    records = [*scored, *failed]
    slack = np.array([[_slack(c, r) for c in constraints] for r in records], dtype=float)
    slack = slack.reshape(len(records), len(constraints))
    observed = np.isfinite(slack).any(axis=0)
    modelled = [c for c, keep in zip(constraints, observed, strict=True) if keep]
    feasible = np.array([all(c.satisfied_by(r) for c in modelled) for r in scored], dtype=bool)
    return slack[:, observed], feasible


def _slack(constraint: Constraint, record: TrialRecord) -> float:
    """``sign * (value - bound)``, feasible when ``<= 0``; ``nan`` when the final value is missing or not finite."""
    value = record.last(constraint.metric)
    if not math.isfinite(value):
        return math.nan
    sign = 1.0 if constraint.op in ("<=", "<") else -1.0
    return sign * (value - constraint.bound)


def _violation(slack: np.ndarray) -> np.ndarray:
    """How far each row breaks its constraints: the positive slacks in units of each column's spread
    (``inf`` for a missing value). Every column has a finite value."""
    finite = np.isfinite(slack)
    spread = np.array([np.std(column[ok]) for column, ok in zip(slack.T, finite.T, strict=True)])
    spread = np.where(spread > 0, spread, 1.0)
    excess = np.where(finite, np.maximum(slack, 0.0), np.inf) / spread
    return excess.sum(axis=1)
