"""Search-space expressions: laws (KS / chi-square against the documented formulas), rounding,
bounds, unit-cube maps, grids, JSON, the v2 spellings and every declaration error."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from scipy import stats

from hyperwidget import space as sp
from hyperwidget.errors import HyperwidgetWarning, SearchSpaceError
from hyperwidget.space import (
    Choice,
    LogNormal,
    LogUniform,
    Normal,
    QLogNormal,
    QLogUniform,
    QNormal,
    QUniform,
    Randint,
    SearchSpace,
    Uniform,
    choice,
    expression_from_json,
    finrange,
    intrange,
    log_randint,
    log_uniform,
    logfinrange,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    register_expression,
    uniform,
)

ALPHA = 1e-3  # every test is seeded, so a pass is deterministic; alpha only sets how wrong a law may be

ALL_EXPRESSIONS = [
    choice("relu", "tanh", "gelu"),
    randint(7),
    uniform(-2.0, 3.0),
    quniform(0, 10, 3),
    loguniform(-5.0, -1.0),
    qloguniform(0.0, 3.0, 2),
    normal(1.0, 2.0),
    qnormal(0.0, 1.5, 1),
    lognormal(0.5, 0.4),
    qlognormal(0.5, 0.6, 1),
    log_uniform(1e-5, 1e-1),
    log_randint(1, 32),
    intrange(-2, 3),
    finrange(0.1, 0.5, 5),
    logfinrange(8, 256, 6, cast_int=True),
]
IDS = [repr(e) for e in ALL_EXPRESSIONS]


def draws(expr: sp.Expression, n: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return [expr.sample(rng) for _ in range(n)]


def through_unit(expr: sp.Expression, n: int, seed: int = 0) -> list:
    """Values through the inverse CDF, the path Sobol and model-based samplers use."""
    return [expr.from_unit(u) for u in np.random.default_rng(seed).random(n)]


def chi_square_p(values: list, pmf: dict) -> float:
    """Chi-square p-value of ``values`` against ``pmf``; bins expecting < 5 are pooled."""
    assert set(values) <= set(pmf), f"values outside the support: {set(values) - set(pmf)}"
    n = len(values)
    counts = {k: 0 for k in pmf}
    for v in values:
        counts[v] += 1
    observed, expected, pool_o, pool_e = [], [], 0, 0.0
    for k, p in pmf.items():
        if n * p < 5:
            pool_o, pool_e = pool_o + counts[k], pool_e + n * p
        else:
            observed.append(counts[k])
            expected.append(n * p)
    if pool_e > 0:
        observed.append(pool_o)
        expected.append(pool_e)
    expected = np.array(expected) * n / sum(expected)  # pmf tails beyond the table are pooled away
    return float(stats.chisquare(observed, expected).pvalue)


def quantized_pmf(cdf, q: float, k_range: range, as_int: bool = True) -> dict:
    """P(round(X / q) * q = k q) = F((k + 1/2) q) - F((k - 1/2) q)."""
    pmf = {}
    for k in k_range:
        value = int(k * q) if as_int else float(k * q)
        pmf[value] = cdf((k + 0.5) * q) - cdf((k - 0.5) * q)
    return pmf


# ----------------------------------------------------------------------------- continuous laws (KS)

CONTINUOUS_LAWS = [
    (uniform(-2.0, 3.0), stats.uniform(-2.0, 5.0)),
    (loguniform(-5.0, -1.0), stats.loguniform(math.exp(-5.0), math.exp(-1.0))),  # bounds are exponents
    (normal(1.0, 2.0), stats.norm(1.0, 2.0)),
    (lognormal(0.5, 0.4), stats.lognorm(s=0.4, scale=math.exp(0.5))),
    (log_uniform(1e-5, 1e-1), stats.loguniform(1e-5, 1e-1)),  # natural bounds
]


@pytest.mark.parametrize(("expr", "law"), CONTINUOUS_LAWS, ids=[repr(e) for e, _ in CONTINUOUS_LAWS])
@pytest.mark.parametrize("path", [draws, through_unit], ids=["sample", "from_unit"])
def test_continuous_expression_follows_its_documented_law(expr, law, path) -> None:
    values = path(expr, 4000, seed=1)
    assert stats.kstest(values, law.cdf).pvalue > ALPHA


def test_ks_check_has_power_against_the_natural_bound_misreading() -> None:
    # loguniform(-5, -1) read with natural bounds would be log-uniform on [e^-5, e^-1] anyway, so
    # compare with the *linear* law on the same interval: the test must reject it.
    values = draws(loguniform(-5.0, -1.0), 4000, seed=1)
    assert stats.kstest(values, stats.uniform(math.exp(-5), math.exp(-1) - math.exp(-5)).cdf).pvalue < 1e-12


def test_loguniform_bounds_are_exponents() -> None:
    values = draws(loguniform(-4.6, 0.0), 2000)
    assert min(values) >= math.exp(-4.6) and max(values) <= 1.0
    assert loguniform(-4.6, 0.0).bounds == (math.exp(-4.6), 1.0)


# ----------------------------------------------------------------------------- discrete laws (chi-square)


def _qloguniform_pmf(lo: float, hi: float, q: float) -> dict:
    def cdf(x: float) -> float:
        return float(np.clip((math.log(max(x, 1e-300)) - lo) / (hi - lo), 0.0, 1.0))

    return {v: p for v, p in quantized_pmf(cdf, q, range(0, int(math.exp(hi) / q) + 2)).items() if p > 0}


def _cell_pmf(lo: float, hi: float, q: float, as_int: bool = True) -> dict:
    """quniform's law: the length of each rounding cell inside [lo, hi]."""
    cdf = stats.uniform(lo, hi - lo).cdf
    pmf = quantized_pmf(cdf, q, range(int(lo // q) - 1, int(hi // q) + 2), as_int)
    return {v: p for v, p in pmf.items() if p > 0}


DISCRETE_LAWS = [
    (choice("relu", "tanh", "gelu"), {"relu": 1 / 3, "tanh": 1 / 3, "gelu": 1 / 3}),
    (choice(1, 1, 2), {1: 2 / 3, 2: 1 / 3}),  # a repeated option is drawn more often
    (randint(7), {k: 1 / 7 for k in range(7)}),
    (quniform(0, 10, 3), {0: 0.15, 3: 0.3, 6: 0.3, 9: 0.25}),
    (quniform(0.5, 3.5, 1), _cell_pmf(0.5, 3.5, 1)),  # 0 and 4 have probability 0
    (quniform(1, 10, 4), {0: 1 / 9, 4: 4 / 9, 8: 4 / 9}),  # 0 lies outside [1, 10]: the formula's consequence
    (qloguniform(0.0, 3.0, 2), _qloguniform_pmf(0.0, 3.0, 2)),
    (qnormal(0.0, 1.5, 1), quantized_pmf(stats.norm(0, 1.5).cdf, 1, range(-12, 13))),
    (qlognormal(0.5, 0.6, 1), quantized_pmf(stats.lognorm(s=0.6, scale=math.exp(0.5)).cdf, 1, range(0, 40))),
    (
        log_randint(1, 32),
        {k: (math.log(k + 0.5) - math.log(k - 0.5)) / (math.log(32.5) - math.log(0.5)) for k in range(1, 33)},
    ),
    (intrange(-2, 3), {k: 1 / 6 for k in range(-2, 4)}),
    (finrange(0.1, 0.5, 5), {0.1: 0.2, 0.2: 0.2, 0.3: 0.2, 0.4: 0.2, 0.5: 0.2}),
    (logfinrange(8, 256, 6, cast_int=True), {v: 1 / 6 for v in (8, 16, 32, 64, 128, 256)}),
]


@pytest.mark.parametrize(("expr", "pmf"), DISCRETE_LAWS, ids=[repr(e) for e, _ in DISCRETE_LAWS])
@pytest.mark.parametrize("path", [draws, through_unit], ids=["sample", "from_unit"])
def test_discrete_expression_follows_its_documented_law(expr, pmf, path) -> None:
    assert chi_square_p(path(expr, 6000, seed=2), pmf) > ALPHA


def test_chi_square_check_has_power_against_floor_rounding() -> None:
    # Very old hyperopt used floor(x / q) * q; that law must be rejected for quniform(0, 10, 3).
    floor_law = {0: 0.3, 3: 0.3, 6: 0.3, 9: 0.1}
    assert chi_square_p(draws(quniform(0, 10, 3), 6000, seed=2), floor_law) < 1e-12


# ----------------------------------------------------------------------------- q-rounding and types


@pytest.mark.parametrize(
    ("quantized", "plain"),
    [
        (quniform(-3.0, 7.0, 0.5), uniform(-3.0, 7.0)),
        (qloguniform(-1.0, 4.0, 5), loguniform(-1.0, 4.0)),
        (qnormal(2.0, 3.0, 2), normal(2.0, 3.0)),
        (qlognormal(1.0, 0.5, 0.25), lognormal(1.0, 0.5)),
    ],
    ids=lambda e: repr(e),
)
def test_quantized_value_is_round_of_plain_value_over_q_times_q(quantized, plain) -> None:
    for u in np.linspace(0.001, 0.999, 401):
        expected = np.round(plain.from_unit(u) / quantized.q) * quantized.q
        assert quantized.from_unit(u) == pytest.approx(expected, abs=1e-12)


def test_rounding_is_half_to_even_as_in_hyperopt() -> None:
    q = quniform(0, 10, 1)
    assert q.from_unit(0.25) == 2  # 2.5 -> 2
    assert q.from_unit(0.35) == 4  # 3.5 -> 4


def test_quantized_floats_have_no_rounding_noise() -> None:
    values = set(draws(quniform(0, 1, 0.1), 500))
    assert values == {0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}
    assert list(quniform(0, 1, 0.1).grid_values()) == sorted(values)


@pytest.mark.parametrize(
    ("expr", "kind"),
    [
        (quniform(0, 10, 2), int),
        (quniform(0.0, 10.0, 2), float),
        (quniform(0, 10, 0.5), float),
        (qloguniform(0.0, 3.0, 1), int),
        (qnormal(0, 3, 1), int),
        (qnormal(0, 3, 1.0), float),
        (qlognormal(0, 1, 1), int),
        (randint(5), int),
        (intrange(1, 3), int),
        (log_randint(1, 100), int),
        (finrange(0, 4, 5), float),
        (finrange(0, 4, 5, cast_int=True), int),
    ],
    ids=repr,
)
def test_value_types_follow_the_arguments(expr, kind) -> None:
    values = draws(expr, 50)
    assert all(type(v) is kind for v in values)
    assert expr.value_type == ("int" if kind is int else "float")


# ----------------------------------------------------------------------------- bounds and support


@pytest.mark.parametrize(
    ("expr", "bounds"),
    [
        (uniform(-2.0, 3.0), (-2.0, 3.0)),
        (quniform(1, 10, 4), (0, 8)),
        (loguniform(-1.0, 1.0), (math.exp(-1), math.exp(1))),
        (qloguniform(0.0, 3.0, 2), (2, 20)),  # exp(U) >= 1: round(. / 2) is never 0
        (normal(0, 1), (-math.inf, math.inf)),
        (lognormal(0, 1), (0.0, math.inf)),
        (randint(7), (0, 6)),
        (log_uniform(1e-5, 1e-1), (1e-5, 1e-1)),
        (log_randint(8, 512), (8, 512)),
        (intrange(-2, 3), (-2, 3)),
        (logfinrange(8, 256, 6), (8.0, 256.0)),
        (choice(1, 2), None),
    ],
    ids=repr,
)
def test_bounds_report_the_smallest_and_largest_value(expr, bounds) -> None:
    assert expr.bounds == bounds
    if bounds is not None and all(map(math.isfinite, bounds)):
        values = draws(expr, 3000)
        assert bounds[0] <= min(values) and max(values) <= bounds[1]
        assert expr.from_unit(0.0) == pytest.approx(bounds[0]) and expr.from_unit(1.0) == pytest.approx(bounds[1])


@pytest.mark.parametrize("expr", ALL_EXPRESSIONS, ids=IDS)
def test_samples_stay_in_the_finite_support(expr) -> None:
    support = expr.grid_values()
    if support is None:
        assert not isinstance(expr, (Choice, Randint))
        return
    values = draws(expr, 3000)
    assert set(values) <= set(support)
    assert len(set(map(json.dumps, support))) == len(support)  # no repeats in a grid axis


def test_grid_values_of_finite_expressions() -> None:
    assert choice(1, 1, 2).grid_values() == [1, 2]
    assert randint(3).grid_values() == [0, 1, 2]
    assert quniform(0, 10, 3).grid_values() == [0, 3, 6, 9]
    assert quniform(0.5, 3.5, 1).grid_values() == [1, 2, 3]
    assert intrange(-1, 2).grid_values() == [-1, 0, 1, 2]
    assert finrange(0.5, 1.5, 3).grid_values() == [0.5, 1.0, 1.5]
    assert logfinrange(8, 256, 6, cast_int=True).grid_values() == [8, 16, 32, 64, 128, 256]
    assert logfinrange(1e-4, 1.0, 5).grid_values() == [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    for continuous in (uniform(0, 1), loguniform(-3, -1), normal(0, 1), qnormal(0, 1, 1), log_uniform(1, 2)):
        assert continuous.grid_values() is None


def test_huge_grid_axes_are_not_materialised() -> None:
    values = randint(10**12).grid_values()
    assert len(values) == 10**12 and values[-1] == 10**12 - 1 and values[10**9] == 10**9
    axis = quniform(0, 10**9, 1).grid_values()
    assert len(axis) == 10**9 + 1 and axis[123456789] == 123456789
    with pytest.raises(IndexError):
        values[10**12]


# ----------------------------------------------------------------------------- unit cube


@pytest.mark.parametrize("expr", ALL_EXPRESSIONS, ids=IDS)
def test_to_unit_inverts_from_unit(expr) -> None:
    for u in np.random.default_rng(3).random(200):
        value = expr.from_unit(u)
        back = expr.to_unit(value)
        assert 0.0 <= back <= 1.0
        again = expr.from_unit(back)
        assert again == (pytest.approx(value, rel=1e-9) if isinstance(value, float) else value)


@pytest.mark.parametrize("expr", [e for e in ALL_EXPRESSIONS if not e.is_categorical], ids=repr)
def test_from_unit_is_monotone_for_ordered_expressions(expr) -> None:
    values = [expr.from_unit(u) for u in np.linspace(0, 1, 301)]
    assert values == sorted(values)


def test_flags_of_each_family() -> None:
    assert choice(1, 2).is_categorical and randint(3).is_categorical  # HyperDrive: no order between ints
    assert not intrange(1, 3).is_categorical and intrange(1, 3).is_integer
    assert all(
        e.is_log
        for e in (
            loguniform(-2, -1),
            lognormal(0, 1),
            log_uniform(1, 9),
            log_randint(1, 9),
            logfinrange(1, 9, 3),
            qloguniform(0, 2, 1),
            qlognormal(0, 1, 1),
        )
    )
    assert not any(e.is_log for e in (uniform(0, 1), normal(0, 1), finrange(0, 1, 3), intrange(0, 3)))
    assert choice("a").value_type == "categorical" and randint(3).value_type == "int"


# ----------------------------------------------------------------------------- seeding and SearchSpace


def test_space_sampling_is_reproducible_for_a_seed() -> None:
    space = SearchSpace({name: e for name, e in zip("abcdefghijklmno", ALL_EXPRESSIONS, strict=True)})
    first = [space.sample(np.random.default_rng(11)) for _ in range(3)]
    again = [space.sample(np.random.default_rng(11)) for _ in range(3)]
    other = space.sample(np.random.default_rng(12))
    assert first == again and first[0] != other


def test_space_keeps_order_constants_and_dashed_names() -> None:
    space = SearchSpace({"--lr": log_uniform(1e-4, 1e-1), "epochs": 10, "--bs": choice(16, 32)})
    assert space.names == ("--lr", "--bs") and space.dims == 2 and space.constants == {"epochs": 10}
    params = space.from_unit([0.5, 0.99])
    assert list(params) == ["--lr", "epochs", "--bs"] and params["epochs"] == 10 and params["--bs"] == 32
    assert params["--lr"] == pytest.approx(math.sqrt(1e-4 * 1e-1))
    assert space.from_unit(space.to_unit(params)) == pytest.approx(params)


def test_space_values_are_plain_python_data() -> None:
    space = SearchSpace({name: e for name, e in zip("abcdefghijklmno", ALL_EXPRESSIONS, strict=True)})
    params = space.sample(np.random.default_rng(0))
    assert json.loads(json.dumps(params)) == params
    assert not any(isinstance(v, np.generic) for v in params.values())


# ----------------------------------------------------------------------------- JSON


@pytest.mark.parametrize("expr", ALL_EXPRESSIONS, ids=IDS)
def test_json_round_trip_rebuilds_the_same_expression(expr) -> None:
    data = json.loads(json.dumps(expr.to_json()))
    assert data[0] == expr.kind
    assert expression_from_json(data) == expr


def test_json_uses_azure_form() -> None:
    assert choice(16, 32).to_json() == ["choice", [[16, 32]]]
    assert uniform(0.05, 0.1).to_json() == ["uniform", [0.05, 0.1]]
    assert qnormal(0, 1, 2).to_json() == ["qnormal", [0, 1, 2]]


def test_space_json_round_trip_with_constants() -> None:
    space = SearchSpace({"lr": loguniform(-9, -2), "bs": choice(16, 32), "layers": [64, 32], "opt": "adam"})
    data = json.loads(json.dumps(space.to_json()))
    assert data["layers"] == {"constant": [64, 32]}
    assert SearchSpace.from_json(data) == space


def test_json_rebuild_does_not_repeat_the_declaration_warning() -> None:
    with pytest.warns(HyperwidgetWarning):
        declared = loguniform(1e-5, 1e-1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert expression_from_json(declared.to_json()) == declared


def test_registered_expression_kinds_round_trip() -> None:
    register_expression("test_pair", lambda args: Choice(tuple(args)))
    try:
        assert expression_from_json(["test_pair", [1, 2]]) == choice(1, 2)
    finally:
        from hyperwidget.space._search_space import _FACTORIES

        _FACTORIES.pop("test_pair")


# ----------------------------------------------------------------------------- Azure v2 spellings


@pytest.mark.parametrize(
    ("v2", "v1"),
    [
        (Choice(values=[16, 32, 64]), choice(16, 32, 64)),
        (Randint(upper=10), randint(10)),
        (Uniform(min_value=0.1, max_value=0.5), uniform(0.1, 0.5)),
        (QUniform(min_value=0, max_value=100, q=5), quniform(0, 100, 5)),
        (LogUniform(min_value=-6, max_value=-1), loguniform(-6, -1)),
        (QLogUniform(min_value=0, max_value=4, q=2), qloguniform(0, 4, 2)),
        (Normal(mu=0, sigma=1), normal(0, 1)),
        (QNormal(mu=10, sigma=3, q=2), qnormal(10, 3, 2)),
        (LogNormal(mu=0, sigma=1), lognormal(0, 1)),
        (QLogNormal(mu=1, sigma=0.5, q=1), qlognormal(1, 0.5, 1)),
    ],
    ids=repr,
)
def test_v2_classes_build_the_same_expressions(v2, v1) -> None:
    assert v2 == v1 and type(v2) is type(v1) and v2.to_json() == v1.to_json()


def test_v2_choice_keeps_options_alias_and_rejects_a_bare_value() -> None:
    assert Choice(values=range(3)).options == (0, 1, 2)
    assert choice(np.array([16, 32])) == Choice(values=np.array([16, 32])) == choice(16, 32)
    with pytest.raises(SearchSpaceError, match=r"Choice: values must be a list"):
        Choice(values=5)


def test_v2_quantized_classes_require_q() -> None:
    with pytest.raises(TypeError, match="q"):
        QUniform(min_value=0, max_value=1)  # type: ignore[call-arg]


# ----------------------------------------------------------------------------- natural-bound warning


def test_loguniform_with_natural_looking_bounds_warns_with_the_fix() -> None:
    with pytest.warns(HyperwidgetWarning) as caught:
        loguniform(1e-5, 1e-1)
    message = str(caught[0].message)
    assert "[1.00001, 1.10517]" in message
    assert "log_uniform(1e-05, 0.1)" in message and "loguniform(-11.5129, -2.30259)" in message
    assert caught[0].filename == __file__  # points at the user's line, not at hyperwidget


@pytest.mark.parametrize(
    "expr", ["loguniform(-9, -2)", "loguniform(0, 2)", "loguniform(-2, 3)", "log_uniform(1e-5, 1)"]
)
def test_exponent_bounds_do_not_warn(expr) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        eval(expr)


# ----------------------------------------------------------------------------- declaration errors

ERRORS = [
    ("uniform(1, 1)", r"uniform\(min_value=1, max_value=1\): min_value must be < max_value.*choice\(1\)"),
    ("uniform(2, 1)", r"min_value must be < max_value, got min_value=2, max_value=1; swap the bounds"),
    ("uniform('a', 1)", r"uniform: min_value must be a finite number, got min_value='a'"),
    ("uniform(0, math.inf)", r"max_value must be a finite number"),
    ("quniform(0, 1, 0)", r"quniform: q must be > 0, got q=0"),
    ("qloguniform(0, 1, -1)", r"qloguniform: q must be > 0"),
    ("qnormal(0, 1, -0.5)", r"qnormal: q must be > 0"),
    ("qlognormal(0, 1, 0)", r"qlognormal: q must be > 0"),
    ("loguniform(2, 1)", r"loguniform\(.*\): min_value must be < max_value"),
    ("loguniform(0, 1000)", r"exp\(max_value\) overflows.*exponents.*log_uniform"),
    ("normal(0, 0)", r"normal\(mu=0, sigma=0\): sigma must be > 0, got sigma=0"),
    ("lognormal(0, -1)", r"lognormal\(.*\): sigma must be > 0"),
    ("choice()", r"choice: needs at least one option"),
    ("choice([])", r"choice: needs at least one option"),
    ("Choice(values=[])", r"choice: needs at least one option"),
    ("choice(object())", r"choice: <object .*> is not plain data"),
    ("choice(math.nan)", r"choice: nan is not plain data"),
    ("choice(range(3), 4)", r"a range must be the only argument"),
    ("randint(0)", r"randint: upper must be a positive int, got upper=0.*intrange"),
    ("randint(2.5)", r"upper must be a positive int, got upper=2.5"),
    ("randint(True)", r"upper must be a positive int, got upper=True"),
    ("log_uniform(0, 1)", r"log_uniform\(lower=0, upper=1\): lower must be > 0"),
    ("log_uniform(1e-3, 1e-4)", r"lower must be < upper"),
    ("log_randint(0, 10)", r"log_randint\(.*\): lower must be >= 1"),
    ("intrange(3, 3)", r"intrange\(lower=3, upper=3\): lower must be < upper"),
    ("intrange(1.5, 3)", r"intrange: lower must be an int, got lower=1.5"),
    ("finrange(0, 1, 1)", r"finrange: size must be an int >= 2"),
    ("finrange(0, 3, 10, cast_int=True)", r"not distinct ints.*lower size or set cast_int=False"),
    ("logfinrange(0, 1, 3)", r"logfinrange: lower must be > 0"),
    ("SearchSpace({'a': object()})", r"hyperparameter 'a': <object .*> is not plain data.*choice"),
    ("SearchSpace({'--bs': choice(1), 'bs': choice(2)})", r"'--bs' and 'bs' are the same keyword"),
    ("SearchSpace([choice(1)])", r"must be a dict of name -> expression, got list"),
    ("SearchSpace({'': choice(1)})", r"names must be non-empty strings"),
    (
        "SearchSpace.from_json({'lr': ['uniform', [1, 0]]})",
        r"hyperparameter 'lr': uniform\(.*min_value must be <",
    ),
    ("expression_from_json(['nope', [1]])", r"unknown expression kind 'nope'; known: .*choice"),
    (
        "SearchSpace({'a': uniform(0, 1)}).from_unit([0.1, 0.2])",
        r"expected a point with 1 coordinates, got 2",
    ),
    ("SearchSpace({'a': uniform(0, 1)}).to_unit({'b': 1})", r"no value for 'a'"),
    ("choice(1, 2).to_unit(3)", r"3 is not one of the options"),
]


@pytest.mark.parametrize(("code", "match"), ERRORS, ids=[c for c, _ in ERRORS])
def test_declaration_errors_name_what_is_wrong_and_the_fix(code, match) -> None:
    with pytest.raises(SearchSpaceError, match=match):
        eval(code)


def test_search_space_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        uniform(1, 0)
