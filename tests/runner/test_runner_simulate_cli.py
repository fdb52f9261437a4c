"""`edge-ee simulate` and `edge-ee run` as users call them: the JSON interface later checks rely on, the dump,
and the Markdown/PNG report."""

import json

import numpy as np

from edge_ee.cli import main


def test_simulate_json_interface(mlperf_bundles, kws_samples, capsys):
    assert main(["simulate", str(mlperf_bundles["kws"]), "--samples", str(kws_samples), "--limit", "40",
                 "--board", "nucleo-l4r5zi", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert 0 <= s["accuracy"] <= 1 and s["baseline_accuracy"] == s["accuracy"]
    assert s["stage_invocations"] == [40]
    assert [set(e) >= {"fraction", "accuracy"} for e in s["exits"]] == [True]
    assert s["exits"][0]["fraction"] == 1.0
    e = s["energy"]
    assert e["modeled"] is True and e["savings"] == 0.0 and "modeled" in e["model"]
    assert e["early_exit_uj"] == e["baseline_uj"] > 0
    assert len(s["per_input"]) == 40 and s["per_input"][0]["name"] == "tst_000000_Stop_7.bin"
    assert s["latency"]["stages"][0]["count"] == 40


def test_dump_holds_every_stage_output(mlperf_bundles, ic_samples, tmp_path, capsys):
    dump = tmp_path / "ic.npz"
    assert main(["simulate", str(mlperf_bundles["ic"]), "--samples", str(ic_samples), "--limit", "12",
                 "--dump", str(dump), "--engine", "tflm"]) == 0
    z = np.load(dump)
    assert z["stage0_out0"].shape == (12, 10) and z["stage0_out0"].dtype == np.int8
    assert z["input"].shape == (12, 32, 32, 3) and z["labels"].shape == (12,)
    assert "stage0_out1" not in z.files  # the last stage has no feature output


def test_report_files(mlperf_bundles, kws_samples, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["simulate", str(mlperf_bundles["kws"]), "--samples", str(kws_samples), "--limit", "20",
                 "--board", "raspberry-pi-4", "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"report.json", "report.md", "exit_distribution.png",
                                               "energy_by_exit.png"}
    md = (out / "report.md").read_text()
    assert "(modeled, not measured)" in md and "measured on this host" in md
    energy = json.loads((out / "report.json").read_text())["energy"]
    assert energy["modeled"] is True and energy["kernels"] is None  # a throughput model, not MCU kernels
    assert energy["from_host_latency"]["valid_only_if"] == "this simulation ran on a raspberry-pi-4"
    text = capsys.readouterr().out
    assert "MODELED" in text and "accuracy: early exit" in text


def test_run_prints_exit_class_and_confidence(mlperf_bundles, kws_samples, capsys):
    f = kws_samples / "tst_000000_Stop_7.bin"
    assert main(["run", str(mlperf_bundles["kws"]), str(f), "--engine", "tflm"]) == 0
    header, line = capsys.readouterr().out.strip().splitlines()
    assert header.startswith("mlperf-kws: 1 stage(s), engine tflm (tflite-micro")
    assert line.startswith(f"{f}: exit 0/0, class stop (7), confidence ")
    assert main(["run", str(mlperf_bundles["kws"]), str(f), "--json"]) == 0
    r = json.loads(capsys.readouterr().out)["results"][0]
    assert (r["exit"], r["class_name"], r["stages_run"]) == (0, "stop", 1) and 0 < r["confidence"] <= 1
