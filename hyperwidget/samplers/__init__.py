"""Samplers: propose configurations from the search space and the sweep's history."""

from hyperwidget.samplers._base import Sampler
from hyperwidget.samplers._random import RandomParameterSampling

__all__ = ["Sampler", "RandomParameterSampling"]
