"""Samplers: propose configurations from the search space and the sweep's history."""

from hyperwidget.samplers._base import Sampler
from hyperwidget.samplers._bayesian import BayesianParameterSampling
from hyperwidget.samplers._grid import GridParameterSampling, GridSamplingAlgorithm
from hyperwidget.samplers._random import RandomParameterSampling, RandomSamplingAlgorithm
from hyperwidget.samplers._registry import SAMPLERS, make_sampler, register_sampler, sampler_from_json

__all__ = [
    "SAMPLERS",
    "BayesianParameterSampling",
    "GridParameterSampling",
    "GridSamplingAlgorithm",
    "RandomParameterSampling",
    "RandomSamplingAlgorithm",
    "Sampler",
    "make_sampler",
    "register_sampler",
    "sampler_from_json",
]
