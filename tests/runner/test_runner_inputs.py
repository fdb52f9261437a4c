"""Inputs reach stage 0 as the models expect them: the EnergyRunner .bin format, y_labels.csv, the
documented raw -> int8 rules, and clear errors for inputs of the wrong shape."""

import csv

import numpy as np
import pytest

from edge_ee.bundle import Bundle
from edge_ee.errors import DataError
from edge_ee.runtime.inputs import quantize, read_bin, read_input_file, read_samples_dir, to_int8


def test_ic_bin_files_are_uint8_hwc_rgb_cifar_images(mlperf_bundles, ic_samples, shared_data):
    """The v0.5 ic01 .bin files that fall in CIFAR-10 test 0..999 are byte-identical to those images."""
    b = Bundle.load(mlperf_bundles["ic"])
    idxs = np.load(shared_data / "mlperf_tiny" / "ic" / "perf_samples_idxs_v0.5.npy")
    with np.load(shared_data / "cifar10" / "cifar10_test_partial.npz") as z:
        by_index = {int(i): k for k, i in enumerate(z["idx"])}
        x_test = z["x"]
    rows = list(csv.reader(open(ic_samples / "y_labels.csv")))
    checked = 0
    for j, row in enumerate(rows):
        if int(idxs[j]) in by_index:
            raw = read_bin(b, ic_samples / row[0])
            assert raw.dtype == np.uint8 and raw.shape == (32, 32, 3)
            np.testing.assert_array_equal(raw, x_test[by_index[int(idxs[j])]])
            checked += 1
    assert checked >= 15


def test_ic_and_vww_bins_become_pixel_minus_128(mlperf_bundles, ic_samples, vww_samples):
    """MLPerf Tiny's int8 IC (scale 1) and VWW (scale 1/255) models take pixel - 128; the bundles' preprocess
    followed by quantization must give exactly that."""
    for key, folder in (("ic", ic_samples), ("vww", vww_samples)):
        b = Bundle.load(mlperf_bundles[key])
        s = read_samples_dir(b, folder, limit=5)
        for name, x in zip(s.names, s.x):
            raw = np.fromfile(folder / name, dtype=np.uint8).reshape(b.input.shape[1:])
            np.testing.assert_array_equal(x, (raw.astype(np.int16) - 128).astype(np.int8))
    every_value = np.arange(256, dtype=np.uint8).reshape(1, 1, 256, 1).repeat(3, axis=3)[:, :, :96]
    b = Bundle.load(mlperf_bundles["vww"])
    img = np.zeros((96, 96, 3), np.uint8)
    img[0, :, :] = every_value[0, 0, :96]
    img[1, :, :] = np.arange(96, 192)[:, None]
    img[2, :, :] = np.arange(160, 256)[:, None]
    np.testing.assert_array_equal(to_int8(b, img)[0], (img.astype(np.int16) - 128).astype(np.int8))


def test_kws_bins_are_the_int8_tensor_itself(mlperf_bundles, kws_samples):
    b = Bundle.load(mlperf_bundles["kws"])
    assert b.preprocess is None
    s = read_samples_dir(b, kws_samples, limit=3)
    for name, x in zip(s.names, s.x):
        np.testing.assert_array_equal(x.ravel(), np.fromfile(kws_samples / name, dtype=np.int8))


def test_labels_come_from_y_labels_csv(mlperf_bundles, kws_samples):
    b = Bundle.load(mlperf_bundles["kws"])
    s = read_samples_dir(b, kws_samples, limit=20)
    rows = list(csv.reader(open(kws_samples / "y_labels.csv")))[:20]
    assert s.names == [r[0] for r in rows]
    assert s.labels.tolist() == [int(r[2]) for r in rows]


def test_bad_sample_folders_are_refused(mlperf_bundles, kws_samples, ic_samples, tmp_path):
    kws = Bundle.load(mlperf_bundles["kws"])
    with pytest.raises(DataError, match="says 10 classes; the bundle has 12"):
        read_samples_dir(kws, ic_samples, limit=2)
    (tmp_path / "y_labels.csv").write_text("a.bin,12,3\n")
    (tmp_path / "a.bin").write_bytes(bytes(3072))
    with pytest.raises(DataError, match="has 3072 bytes; the bundle's input"):
        read_samples_dir(kws, tmp_path)
    (tmp_path / "y_labels.csv").write_text("a.bin,10,3\n")
    (tmp_path / "a.bin").write_bytes(bytes(490))
    with pytest.raises(DataError, match="says 10 classes; the bundle has 12"):
        read_samples_dir(kws, tmp_path)
    (tmp_path / "y_labels.csv").write_text("a.bin;12;3\n")
    with pytest.raises(DataError, match="is not name.bin,num_classes,label"):
        read_samples_dir(kws, tmp_path)
    (tmp_path / "y_labels.csv").write_text("missing.bin,12,3\n")
    with pytest.raises(DataError, match="does not exist"):
        read_samples_dir(kws, tmp_path)


def test_wrong_input_shapes_name_both_shapes(mlperf_bundles, tmp_path):
    b = Bundle.load(mlperf_bundles["ic"])
    np.save(tmp_path / "small.npy", np.zeros((28, 28, 3), np.uint8))
    with pytest.raises(DataError, match=r"has shape \(28, 28, 3\); the bundle 'mlperf-ic' takes \(32, 32, 3\)"):
        read_input_file(b, tmp_path / "small.npy")
    np.save(tmp_path / "nchw.npy", np.zeros((2, 3, 32, 32), np.uint8))
    with pytest.raises(DataError, match="looks like NCHW"):
        read_input_file(b, tmp_path / "nchw.npy")
    assert read_input_file(b, _save(tmp_path / "batch.npy", np.zeros((4, 32, 32, 3), np.uint8))).shape == (4, 32, 32, 3)


def _save(path, x):
    np.save(path, x)
    return path


def test_quantization_rounds_half_away_from_zero_and_clamps(mlperf_bundles):
    t = Bundle.load(mlperf_bundles["kws"]).input  # scale 0.5847, zero point 83
    x = np.array([0.5, 1.5, -0.5, -1.5, 1000.0, -1000.0]) * t.scale
    assert quantize(x, t).tolist() == [84, 85, 82, 81, 127, -128]


def test_png_inputs_are_raw_pixels(mlperf_bundles, ic_samples, tmp_path):
    from PIL import Image

    b = Bundle.load(mlperf_bundles["ic"])
    name = "accentor_s_000166.bin"
    raw = read_bin(b, ic_samples / name)
    Image.fromarray(raw).save(tmp_path / "a.png")
    np.testing.assert_array_equal(read_input_file(b, tmp_path / "a.png"), read_input_file(b, ic_samples / name))
