"""Conversion recipes: one declarative TOML file per model family in the top-level `convert/` folder.

A recipe says which models it applies to (and, per model, the cut points it expects: the model's early-exit
names), how many calibration samples to draw from which split, the weight quantization, and how the int8
chain is verified. Structure always comes from the model; a recipe that contradicts it is an error."""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from edge_ee.errors import ConfigError

RECIPE_DIR = Path(__file__).resolve().parents[2] / "convert"
QUANT_TYPES = ("per-channel", "per-tensor")
SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class Recipe:
    name: str
    path: Path | None
    description: str = ""
    models: dict[str, dict] = field(default_factory=dict)
    calibration_split: str = "train"
    calibration_samples: int = 200
    quant_type: str = "per-channel"
    verification_split: str = "test"
    verification_samples: int = 500
    max_drop_points: float = 2.0
    sha256: str = ""

    def cut_points(self, model_name: str) -> list[str] | None:
        return self.models.get(model_name, {}).get("cut_points")

    def check_model(self, model_name: str, exit_names: list[str]) -> None:
        """The recipe's cut points must be the model's early exits, in order."""
        if self.models and model_name not in self.models:
            raise ConfigError(f"recipe {self.name} is for {', '.join(self.models)}, not {model_name}",
                              "pass the recipe of this model's family with --recipe, or omit --recipe")
        cuts = self.cut_points(model_name)
        if cuts is not None and list(cuts) != list(exit_names[:-1]):
            raise ConfigError(f"recipe {self.name} cuts {model_name} after {cuts}, but the model's early exits are "
                              f"{exit_names[:-1]}",
                              f"fix cut_points in {self.path or self.name}; the cut points are the model's exits")

    def to_dict(self) -> dict:
        return {"name": self.name, "file": self.path.name if self.path else None, "sha256": self.sha256,
                "calibration": {"split": self.calibration_split, "samples": self.calibration_samples},
                "quantization": {"weights": self.quant_type, "activations": "int8", "biases": "int32"},
                "verification": {"split": self.verification_split, "samples": self.verification_samples,
                                 "max_drop_points": self.max_drop_points}}


_SCHEMA = {
    "": {"description", "models", "calibration", "quantization", "verification"},
    "calibration": {"split", "samples"},
    "quantization": {"weights"},
    "verification": {"split", "samples", "max_drop_points"},
}


def _check_keys(table: dict, section: str, where: Path) -> None:
    unknown = set(table) - _SCHEMA[section]
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)} in [{section or 'top level'}]",
                          f"known keys: {', '.join(sorted(_SCHEMA[section]))}")


def load_recipe(path) -> Recipe:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"recipe {path} does not exist", f"pass one of the files in {RECIPE_DIR}")
    raw = path.read_bytes()
    try:
        d = tomllib.loads(raw.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"recipe {path} is not valid TOML ({e})", "fix the file") from None
    _check_keys(d, "", path)
    for s in ("calibration", "quantization", "verification"):
        _check_keys(d.get(s, {}), s, path)
    models = d.get("models", {})
    for name, opts in models.items():
        if not isinstance(opts, dict) or set(opts) - {"cut_points"}:
            raise ConfigError(f"{path}: [models.{name}] may only hold cut_points", "remove the other keys")
    cal, qnt, ver = d.get("calibration", {}), d.get("quantization", {}), d.get("verification", {})
    r = Recipe(path.stem, path, d.get("description", ""), models,
               cal.get("split", "train"), int(cal.get("samples", 200)), qnt.get("weights", "per-channel"),
               ver.get("split", "test"), int(ver.get("samples", 500)), float(ver.get("max_drop_points", 2.0)),
               hashlib.sha256(raw).hexdigest())
    if r.quant_type not in QUANT_TYPES:
        raise ConfigError(f"{path}: quantization.weights = {r.quant_type!r}", f"use one of {', '.join(QUANT_TYPES)}")
    for what, split in (("calibration", r.calibration_split), ("verification", r.verification_split)):
        if split not in SPLITS:
            raise ConfigError(f"{path}: {what}.split = {split!r}", f"use one of {', '.join(SPLITS)}")
    if r.calibration_samples < 1 or r.verification_samples < 1:
        raise ConfigError(f"{path}: sample counts must be positive", "fix calibration.samples / verification.samples")
    return r


def recipe_for(model_name: str, recipe_dir: Path = RECIPE_DIR) -> Recipe:
    """The recipe whose [models] table names `model_name`."""
    if not recipe_dir.is_dir():
        raise ConfigError(f"the recipe folder {recipe_dir} is missing", "pass a recipe with --recipe")
    for p in sorted(recipe_dir.glob("*.toml")):
        r = load_recipe(p)
        if model_name in r.models:
            return r
    raise ConfigError(f"no recipe in {recipe_dir} names model {model_name!r}",
                      f"add [models.{model_name}] to a recipe there, or pass one with --recipe")
