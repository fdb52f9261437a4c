"""Typed errors. Each one says what is wrong and how to fix it; the CLI prints it without a traceback."""


class EdgeEEError(Exception):
    """Base class: a problem the user can fix. `fix` says how."""

    def __init__(self, problem: str, fix: str | None = None):
        self.problem = problem
        self.fix = fix
        super().__init__(problem if not fix else f"{problem}\n  fix: {fix}")


class UnknownName(EdgeEEError):
    """A model, dataset, board, engine or measure name that is not known."""

    def __init__(self, kind: str, name: str, known):
        known = sorted(known)
        super().__init__(f"unknown {kind} {name!r}", f"use one of: {', '.join(known)}")
        self.kind, self.name, self.known = kind, name, known


class DataError(EdgeEEError):
    """Dataset files missing, unreadable or of the wrong layout."""


class ConfigError(EdgeEEError):
    """Options that contradict each other or the model (loss weights, thresholds, ...)."""


class CheckpointError(EdgeEEError):
    """A checkpoint that cannot be read or does not match its model."""


class OutputExists(EdgeEEError):
    """Refuses to overwrite something the user made."""

    def __init__(self, path):
        super().__init__(f"{path} already exists", "choose another --out, or pass --force to replace it")
        self.path = path


class BundleError(EdgeEEError):
    """A bundle that is corrupt, incomplete or does not match its manifest."""


class ConversionError(EdgeEEError):
    """A model or stage that cannot be converted to int8 TFLite."""


class UnsupportedOp(ConversionError):
    """An operator (or an option of one) that a later stage of the pipeline cannot handle."""

    def __init__(self, op: str, where: str, fix: str | None = None):
        super().__init__(f"unsupported operator {op} in {where}", fix)
        self.op, self.where = op, where


class QuantizationMismatch(ConversionError):
    """Producer and consumer quantization of a stage boundary differ beyond what can be copied exactly."""


class ToolMissing(EdgeEEError):
    """An external program (compiler, emulator, flasher) is not installed."""


class DeviceError(EdgeEEError):
    """A device that does not answer, answers wrongly, or cannot be reached."""


class FitError(EdgeEEError):
    """A model too large for a board's RAM or flash."""
