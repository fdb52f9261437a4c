from edge_ee.models.multiexit import ExitHead, HeadSpec, MultiExitModel, Stage, attach_exits
from edge_ee.models.zoo import ZOO, build_model, zoo_entry

__all__ = ["ExitHead", "HeadSpec", "MultiExitModel", "Stage", "attach_exits", "ZOO", "build_model", "zoo_entry"]
