"""Gaussian-process maths behind :class:`~hyperwidget.samplers.BayesianParameterSampling`.

Private, numpy/scipy only, and split by concept (as optuna splits ``_gp``):

- ``encoding``: search space <-> mixed unit cube (continuous, rounded and categorical columns);
- ``kernel``: the Matern-5/2 ARD kernel with a Hamming distance for categorical columns;
- ``warping``: the Yeo-Johnson warping of the targets (heavy tails tamed);
- ``gp``: the GP posterior and its hyperparameter fit (MAP of the marginal likelihood);
- ``acquisition``: log expected improvement and its optimiser over the mixed cube;
- ``constraints``: the probability of feasibility, from one GP per constrained metric;
- ``multi``: ParEGO's random Chebyshev scalarisation of several objectives.
"""
