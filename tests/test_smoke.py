from edge_ee.checkpoint import load_checkpoint


def test_digits_checkpoint_loads_with_its_config(digits_checkpoint):
    ck = load_checkpoint(digits_checkpoint)
    assert ck.model_name == "digits-cnn" and ck.model.num_exits == 2
    assert ck.dataset["name"] == "digits"
