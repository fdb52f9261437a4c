"""edge_ee: early-exit networks from PyTorch training to int8 stages on microcontrollers."""

__version__ = "0.1.0"
