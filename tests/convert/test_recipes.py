"""The recipes in convert/: one per model family, every zoo model covered, cut points equal to the model's exits."""

from __future__ import annotations

from edge_ee.convert.recipe import RECIPE_DIR, load_recipe, recipe_for
from edge_ee.models import ZOO, build_model


def test_every_zoo_model_has_a_recipe_whose_cut_points_are_its_exits():
    for name in ZOO:
        recipe = recipe_for(name)
        model = build_model(name)
        recipe.check_model(name, model.exit_names)
        assert recipe.cut_points(name) == model.exit_names[:-1], name


def test_recipes_are_declarative_and_complete():
    files = sorted(p.name for p in RECIPE_DIR.glob("*.toml"))
    assert files == ["digits.toml", "dscnn.toml", "mobilenet.toml", "resnet.toml"]
    for f in files:
        r = load_recipe(RECIPE_DIR / f)
        assert r.quant_type == "per-channel" and r.calibration_samples >= 100 and r.models
        assert r.to_dict()["quantization"] == {"weights": "per-channel", "activations": "int8", "biases": "int32"}
