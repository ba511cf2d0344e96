"""The objective of ``python -m hyperwidget demo``: an SGD classifier on scikit-learn's bundled digits.

A module of its own, importing scikit-learn at the top, so that a worker
process that loads the objective before its first trial (the loky backend
starts its workers early) has imported scikit-learn by then: the first trials'
durations are their training, not an import. (Defined in ``__main__``, the
function would travel by value and import scikit-learn inside each worker's
first trial.) The data are read once per process.
"""

from __future__ import annotations

import functools

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier
from sklearn.model_selection import train_test_split

from hyperwidget.context import log


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits split 70/30 (stratified, fixed seed): X_train, X_val, y_train, y_val."""
    X, y = load_digits(return_X_y=True)
    X_train, X_val, y_train, y_val = train_test_split(X / 16.0, y, test_size=0.3, random_state=0, stratify=y)
    return X_train, X_val, y_train, y_val


def train_digits(alpha: float, eta0: float, loss: str, epochs: int = 20) -> float:
    """An SGD classifier trained epoch by epoch on scikit-learn's bundled digits; logs validation accuracy."""
    X_train, X_val, y_train, y_val = _digits()
    model = SGDClassifier(alpha=alpha, eta0=eta0, loss=loss, learning_rate="adaptive", random_state=0)
    accuracy = 0.0
    for _ in range(epochs):
        model.partial_fit(X_train, y_train, classes=np.unique(y_train))
        accuracy = model.score(X_val, y_val)
        log("accuracy", accuracy)  # one value per epoch: a learning curve the policy can act on
    return accuracy
