"""Turning a %%sweep cell into a search space and a picklable trial (no IPython needed)."""

from __future__ import annotations

import ast
import traceback
import warnings

import cloudpickle
import numpy as np
import pytest

from hyperwidget import space as hs
from hyperwidget.notebook._cell import (
    CellError,
    compile_cell,
    expression_factories,
    logged_metrics,
    parse_cell,
    split_cell,
)


def _split(source: str, namespace: dict | None = None):
    return split_cell(parse_cell(source), namespace or {})


def test_header_is_the_leading_space_assignments():
    parts = _split("lr = loguniform(-9, -2)\nbs: int = choice(16, 32)\nx = lr * 2\nx\n")
    assert [ast.unparse(s.targets[0] if isinstance(s, ast.Assign) else s.target) for s in parts.header] == ["lr", "bs"]
    assert [s.lineno for s in parts.body] == [4, 5]  # cell lines: the %%sweep line is line 1
    assert parts.returns_value


def test_header_accepts_hyperwidget_module_attribute_but_not_other_modules():
    import hyperwidget

    namespace = {"hw": hyperwidget, "np": np}
    parts = _split("lr = hw.uniform(0, 1)\nnoise = np.random.uniform(0, 1)\n", namespace)
    assert len(parts.header) == 1 and len(parts.body) == 1


def test_a_user_binding_of_a_factory_name_is_not_a_declaration():
    from random import uniform

    parts = _split("x = uniform(0, 1)\ny = x\n", {"uniform": uniform})
    assert parts.header == ()  # 'uniform' is the user's function here
    with pytest.raises(CellError, match="declared as a hyperparameter after") as info:
        compile_cell("x = uniform(0, 1)\ny = choice(1, 2)\ny\n", {"uniform": uniform})
    assert info.value.lineno == 3


def test_declaration_after_the_first_statement_points_at_its_line():
    with pytest.raises(CellError) as info:
        compile_cell("lr = uniform(0, 1)\nx = 1\nbs = choice(1, 2)\nx\n", {})
    assert info.value.lineno == 4
    assert "move the declaration to the top" in str(info.value)


def test_syntax_error_is_reported_at_the_cell_line_with_a_caret():
    with pytest.raises(CellError) as info:
        compile_cell("lr = uniform(0, 1)\n\nx = (1 +\n", {})
    assert info.value.lineno == 4
    rendered = "\n".join(info.value._render_traceback_())
    assert "line 4" in rendered and "x = (1 +" in rendered and "^" in rendered


def test_undefined_name_points_at_its_first_use():
    with pytest.raises(CellError, match="name 'trainset' is not defined") as info:
        compile_cell("lr = uniform(0, 1)\nn = 3\nm = len(trainset) * lr\nm\n", {})
    assert info.value.lineno == 4


def test_import_star_is_refused_with_a_hint():
    with pytest.raises(CellError, match="import the names you need"):
        compile_cell("lr = uniform(0, 1)\nfrom math import *\nlr\n", {})


def test_bad_declaration_names_the_hyperparameter_and_line():
    with pytest.raises(CellError, match="declaring 'lr' failed: SearchSpaceError") as info:
        compile_cell("a = choice(1, 2)\nlr = uniform(1, 0)\nlr\n", {})
    assert info.value.lineno == 3
    with pytest.raises(CellError, match="declared twice") as info:
        compile_cell("a = choice(1, 2)\na = choice(3)\na\n", {})
    assert info.value.lineno == 3


def test_declaration_warning_is_issued_at_the_cell_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        compiled = compile_cell("lr = loguniform(0.0001, 0.1)\nlr\n", {})
    messages = [w for w in caught if "takes exponents" in str(w.message)]
    assert messages and messages[0].lineno == 2 and messages[0].filename == compiled.trial.filename


def test_declarations_use_notebook_values():
    compiled = compile_cell("width = choice(*sizes)\nwidth\n", {"sizes": [8, 16]})
    assert compiled.space["width"].grid_values() == [8, 16]


def test_no_hyperparameters_and_no_body_are_errors():
    with pytest.raises(CellError, match="no hyperparameters"):
        compile_cell("x = 1\nx\n", {})
    with pytest.raises(CellError, match="no trial code"):
        compile_cell("lr = uniform(0, 1)\n", {})


def test_space_dict_merges_and_conflicts_are_refused():
    compiled = compile_cell("lr = uniform(0, 1)\nlr * batch_size\n", {}, space={"--batch_size": hs.choice(8, 16)})
    assert list(compiled.space) == ["--batch_size", "lr"]
    assert compiled.trial(batch_size=8, lr=0.5) == 4.0
    with pytest.raises(CellError, match="both in the --space dict and declared"):
        compile_cell("lr = uniform(0, 1)\nlr\n", {}, space={"lr": hs.uniform(0, 2)})


def test_trial_binds_params_and_returns_the_last_expression():
    namespace = {"offset": 10.0, "unused": object()}
    compiled = compile_cell("lr = uniform(0, 1)\nk = choice(1, 2)\nscore = lr * k + offset\nscore\n", namespace)
    assert compiled.trial(lr=0.5, k=2) == 11.0
    assert compiled.trial.global_names == ("offset",)  # only what the body reads travels with it
    assert compiled.returns_value and compiled.default_metric == "metric"


def test_explicit_return_and_no_final_value():
    compiled = compile_cell("lr = uniform(0, 1)\nif lr > 0.5:\n    return 1.0\nx = 2\n", {})
    assert compiled.trial(lr=0.9) == 1.0 and compiled.trial(lr=0.1) is None
    assert not compiled.returns_value


def test_logged_metric_names_and_default_metric():
    source = (
        'lr = uniform(0, 1)\nfor i in range(3):\n    log("acc", i)\n    run.log(name="loss", value=i)\nmath.log(2)\n'
    )
    parts = _split(source)
    assert logged_metrics(parts.body) == ("acc", "loss")
    one = compile_cell('lr = uniform(0, 1)\nfor i in range(2):\n    log("acc", lr * i)\n', {}, fallbacks={"log": print})
    assert one.default_metric == "acc" and not one.returns_value
    both = compile_cell('lr = uniform(0, 1)\nlog("acc", lr)\nlr\n', {}, fallbacks={"log": print})
    assert both.default_metric is None  # logged AND a final value: the user must say which


def test_mlflow_logging_calls_name_the_metric_and_are_not_the_final_value():
    source = (
        "lr = uniform(0, 1)\nimport mlflow, numpy as np\nnp.log(2)\n"
        'mlflow.log_metrics({"acc": lr, "loss": 1 - lr}, step=1)\nmlflow.log_metric("acc", lr, step=2)\n'
    )
    assert logged_metrics(_split(source).body) == ("acc", "loss")
    one = compile_cell('lr = uniform(0, 1)\nimport mlflow\nmlflow.log_metric("accuracy", lr)\n', {})
    assert not one.returns_value and one.default_metric == "accuracy"


def test_a_final_log_call_is_not_the_returned_metric():
    calls = []
    compiled = compile_cell(
        'lr = uniform(0, 1)\nlog("acc", lr)\n', {}, fallbacks={"log": lambda *a: calls.append(a) or 7}
    )
    assert compiled.trial(lr=0.25) is None and calls == [("acc", 0.25)]


def test_fallback_names_yield_to_the_notebook():
    compiled = compile_cell("lr = uniform(0, 1)\nlog\n", {"log": "mine"}, fallbacks={"log": "engine"})
    assert compiled.trial(lr=0.1) == "mine"


def test_trial_failure_traceback_shows_the_cell_line_even_after_pickling():
    compiled = compile_cell("lr = uniform(0, 1)\nx = 1\ny = x / (lr - lr)\ny\n", {}, magic_line="%%sweep --x")
    clone = cloudpickle.loads(cloudpickle.dumps(compiled.trial))
    import linecache

    linecache.cache.pop(compiled.trial.filename, None)  # as in a fresh worker process
    with pytest.raises(ZeroDivisionError) as info:
        clone(lr=0.3)
    text = "".join(traceback.format_exception(info.value))
    assert f'File "{compiled.trial.filename}", line 4, in trial' in text
    assert "y = x / (lr - lr)" in text


def test_trial_pickles_by_value_with_notebook_functions_and_data():
    namespace: dict = {}
    exec("import numpy as np\ndata = np.arange(4.0)\ndef helper(v, s):\n    return float(v.sum()) * s\n", namespace)  # noqa: S102 - a notebook cell
    namespace["__name__"] = "__main__"
    compiled = compile_cell("s = uniform(0, 1)\nhelper(data, s)\n", namespace)
    payload = cloudpickle.dumps(compiled.trial)
    assert b"helper" in payload
    clone = cloudpickle.loads(payload)
    assert clone(s=0.5) == 3.0


def test_comprehensions_and_nested_functions_see_params_and_globals():
    compiled = compile_cell(
        "k = choice(1, 2)\ndef f(x):\n    return x * k * scale\nsum(f(i) for i in range(3)) + len([k for _ in rows])\n",
        {"scale": 2, "rows": [1, 2]},
    )
    assert compiled.trial(k=2) == 2 * (0 + 1 + 2) * 2 + 2


def test_non_identifier_names_reach_the_body_through_params():
    compiled = compile_cell(
        "lr = uniform(0, 1)\nparams['model_depth'] + params['class_'] + lr\n",
        {},
        space={"model-depth": hs.choice(2), "class": hs.choice(1)},
    )
    assert compiled.trial(model_depth=2, lr=0.5, class_=1) == 3.5  # a Python keyword gets a trailing '_'


def test_expression_factories_are_the_space_functions():
    factories = expression_factories()
    assert {
        "choice",
        "randint",
        "uniform",
        "quniform",
        "loguniform",
        "qloguniform",
        "normal",
        "qnormal",
        "lognormal",
        "qlognormal",
    } <= set(factories)
    assert "expression_from_json" not in factories and "register_expression" not in factories
