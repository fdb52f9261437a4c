"""Measured energy: a power trace (CSV replay) integrated over each inference's window, on the host-native
device; and pairing of trigger windows with inferences."""

from __future__ import annotations

import numpy as np
import pytest

from edge_ee.boards import load_board
from edge_ee.device.records import MODE_EARLY, MODE_FULL, Record
from edge_ee.measure import Result, measure, measured_energies, write_reports
from edge_ee.power.replay import CsvReplay
from edge_ee.power.trace import PowerTrace
from edge_ee.telemetry import DeviceLink, open_transport


def test_csv_power_gives_measured_energy_per_inference(device, staged_bundle, digits_inputs_obj, tmp_path):
    # 12.5 mW constant for 60 s at 1 kHz: each inference's energy is 12.5 mW x its window.
    t = np.arange(0, 60, 1e-3)
    csv = tmp_path / "trace.csv"
    csv.write_text("time_s,power_mw\n" + "\n".join(f"{x:.3f},12.5" for x in t) + "\n")
    link = DeviceLink(open_transport(f"socket://127.0.0.1:{device.port}"), line_timeout=1.0)
    try:
        run = measure(link, load_board("qemu-mps2-an386"), staged_bundle, digits_inputs_obj,
                      monitor=CsvReplay(str(csv)))
    finally:
        link.close()
    rep = run.report()
    assert rep["energy"]["modeled"] is False and "host-time windows" in rep["energy"]["source"]
    for r in rep["records"]:
        a, b = r["window_s"]
        assert 0 <= a < b < 60
        assert r["energy_uj"] == pytest.approx(12.5e-3 * (b - a) * 1e6)
    out = write_reports(run, tmp_path / "report")
    assert (out / "power_timeline.png").stat().st_size > 0 and (out / "energy_by_exit.png").stat().st_size > 0
    assert "(measured)" in (out / "measure.md").read_text()


def test_trigger_windows_are_paired_with_inferences_in_run_order():
    rate = 10_000
    t = np.arange(0, 1, 1 / rate)
    trig = np.ones(len(t), dtype=bool)
    i = np.full(len(t), 1e-3)
    windows = [(0.1, 0.2), (0.3, 0.35), (0.5, 0.6), (0.7, 0.75)]  # input 0 early, full; input 1 early, full
    for a, b in windows:
        i[int(a * rate):int(b * rate)] = 5e-3
        for e in (a, b):
            trig[int(e * rate)] = False
    trace = PowerTrace(t, 2.0, i, trig, source="synthetic")
    rec = Record(0, 0, 1, 0, (10, 0))
    early = [Result(0, MODE_EARLY, rec, 1), Result(1, MODE_EARLY, rec, 1)]
    full = [Result(0, MODE_FULL, rec, 1), Result(1, MODE_FULL, rec, 1)]
    uj, wins, source = measured_energies(trace, early, full)
    assert "trigger windows" in source
    expect = [2.0 * 5e-3 * (b - a) * 1e6 for a, b in windows]
    assert [uj[(MODE_EARLY, 0)], uj[(MODE_FULL, 0)], uj[(MODE_EARLY, 1)], uj[(MODE_FULL, 1)]] == pytest.approx(expect)


def test_a_trace_that_does_not_cover_the_run_keeps_the_results_and_says_why(device, staged_bundle,
                                                                             digits_inputs_obj, tmp_path):
    csv = tmp_path / "short.csv"
    csv.write_text("time_s,power_w\n0,0.01\n0.001,0.01\n")  # 2 ms of samples: shorter than any run
    link = DeviceLink(open_transport(f"socket://127.0.0.1:{device.port}"), line_timeout=1.0)
    try:
        rep = measure(link, load_board("qemu-mps2-an386"), staged_bundle, digits_inputs_obj,
                      monitor=CsvReplay(str(csv))).report()
    finally:
        link.close()
    assert len(rep["records"]) == 2 * len(digits_inputs_obj.labels)
    assert rep["energy"]["early_exit_uj"] is None and rep["energy"]["modeled"] is False
    assert rep["energy"]["source"].startswith("not measured: window")
