"""resnet8 (the MLPerf Tiny IC network) in 3 stages from `edge-ee convert`, on the emulated Cortex-M4 with real
CIFAR-10 test images: the device's exits and predictions equal the host twin's and the host runner's."""

from __future__ import annotations

import pytest

from edge_ee.device import qemu
from edge_ee.device.protocol import DeviceClient

pytestmark = pytest.mark.slow  # trains and converts resnet8, then a few ResNet-8 inferences in QEMU

THRESHOLDS = [1.4, 1.5]  # near the median uncertainties of the briefly trained model: inputs leave at every exit


@pytest.fixture(scope="module")
def resnet8(resnet8_checkpoint, cifar_dir, tmp_path_factory):
    from edge_ee.convert import convert_checkpoint
    from edge_ee.runtime.inputs import dataset_samples

    bundle = convert_checkpoint(resnet8_checkpoint, tmp_path_factory.mktemp("resnet8") / "bundle", data_dir=cifar_dir)
    return bundle, dataset_samples(bundle, "cifar10", str(cifar_dir), limit=6)


def test_resnet8_on_the_m4_agrees_with_the_twin_and_the_host_runner(resnet8, builds, tmp_path_factory):
    from edge_ee.codegen.twin import TwinEngine
    from edge_ee.runtime.engines import make_engine
    from edge_ee.runtime.staged import StagedRunner

    bundle, samples = resnet8
    assert bundle.num_stages == 3
    build = builds.get(bundle, "qemu-mps2-an386", THRESHOLDS)
    twin = TwinEngine(bundle, tmp_path_factory.mktemp("resnet8_twin"), thresholds=THRESHOLDS)
    runner = StagedRunner(bundle, make_engine("tflm", bundle), thresholds=THRESHOLDS)
    with qemu.start("mps2-an386", build.elf) as dev, DeviceClient(dev.url) as client:
        for x in samples.x:
            client.load_input(x.tobytes())
            rec = client.infer(1, 0, num_stages=3).records[0]
            host = runner.run(x)
            assert (rec.exit, rec.pred) == twin.infer(x)[:2] == (host.exit, host.prediction)
            assert all(c > 0 for c in rec.counts[:rec.exit + 1]) and not any(rec.counts[rec.exit + 1:])
        info = client.info()
        assert 0 < info.stack_used < info.stack_bytes  # the stack never overflowed
        client.set_mode(full=True)
        full = client.infer(1, 0, num_stages=3).records[0]
        assert (full.exit, full.pred) == (2, twin.infer(samples.x[-1], force_full=True)[1])
