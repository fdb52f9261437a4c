"""The host runtime: engines that run one stage (`engines`), the staged early-exit runner (`staged`),
inputs to int8 (`inputs`), and the dataset simulator with modeled energy (`simulate`)."""

from edge_ee.runtime.engines import ENGINES, Engine, EngineOptions, make_engine
from edge_ee.runtime.staged import Inference, StagedRunner

__all__ = ["ENGINES", "Engine", "EngineOptions", "Inference", "StagedRunner", "make_engine"]
