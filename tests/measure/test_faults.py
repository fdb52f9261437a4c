"""Fault injection: the real host-native firmware behind a real TCP proxy that corrupts, cuts, drops and
garbles telemetry records, disconnects the host and resets the device at chosen points (seeded). The counts
of good, corrupt and lost records must be exact, no damaged record may be accepted, and every inference ends
either in the results (equal to the clean run's and to the host twin's) or counted as lost."""

from __future__ import annotations

import pytest
from faults import FaultProxy, Plan

from edge_ee.boards import load_board
from edge_ee.errors import DeviceError
from edge_ee.measure import measure
from edge_ee.telemetry import DeviceLink, open_transport

BOARD = load_board("qemu-mps2-an386")  # only for the report; the host-native build counts nanoseconds


def run(url, bundle, inputs, reconnect_timeout=3.0, **kw):
    link = DeviceLink(open_transport(url), num_stages=bundle.num_stages, line_timeout=1.0, infer_timeout=3.0,
                      reconnect_timeout=reconnect_timeout)
    try:
        return measure(link, BOARD, bundle, inputs, **kw)
    finally:
        link.close()


def decisions(rep):
    return {(r["mode"], r["index"]): (r["exit"], r["pred"]) for r in rep["records"]}


@pytest.fixture(scope="module")
def clean(staged_bundle, digits_inputs_obj, host_firmware, twin):
    from faults import DeviceServer

    server = DeviceServer(str(host_firmware))
    try:
        rep = run(f"socket://127.0.0.1:{server.port}", staged_bundle, digits_inputs_obj).report()
    finally:
        server.close()
    return rep


def test_clean_run_matches_the_host_twin(clean, digits_inputs_obj, twin):
    n = len(digits_inputs_obj.labels)
    assert len(clean["records"]) == 2 * n
    assert clean["lost_records"] == clean["corrupt_records"] == 0 and clean["lost_inferences"] == []
    for r in clean["records"]:
        exit_stage, pred, _ = twin.infer(digits_inputs_obj.x[r["index"]], force_full=r["mode"] == "full")
        assert (r["exit"], r["pred"]) == (exit_stage, pred)
        assert all(c > 0 for c in r["stage_counts"][:r["exit"] + 1])
        assert all(c == 0 for c in r["stage_counts"][r["exit"] + 1:])
    seqs = [r["seq"] for r in sorted(clean["records"], key=lambda r: r["seq"])]
    assert seqs == list(range(2 * n))
    exits = {r["exit"] for r in clean["records"] if r["mode"] == "early"}
    assert exits == {0, 1}, "the bundle's threshold should make both exits occur on these inputs"
    assert clean["energy"]["early_exit_uj"] is None  # host nanoseconds: no energy model, and it says so


def test_damaged_records_are_counted_exactly_and_redone(device, staged_bundle, digits_inputs_obj, clean):
    plan = Plan(corrupt={1, 6}, cut={3}, drop={9, 14}, garbage={4, 11}, seed=7)
    proxy = FaultProxy(device, plan)
    rep = run(proxy.url, staged_bundle, digits_inputs_obj, retries=2).report()
    proxy.close()
    assert proxy.done == {"corrupt": 2, "cut": 1, "drop": 2, "garbage": 2, "disconnect": 0, "reset": 0}
    assert rep["corrupt_records"] == 3                  # corrupt + cut: seen but rejected
    assert rep["lost_records"] == 5                     # corrupt + cut + drop: numbered but never accepted
    assert rep["lost_inferences"] == [] and rep["retried"] == 5
    assert decisions(rep) == decisions(clean)            # no damaged record was accepted
    assert len(rep["records"]) == 2 * len(digits_inputs_obj.labels)


def test_without_retries_the_damaged_inferences_are_reported_lost(device, staged_bundle, digits_inputs_obj, clean):
    proxy = FaultProxy(device, Plan(corrupt={2}, drop={5}, seed=1))
    rep = run(proxy.url, staged_bundle, digits_inputs_obj, retries=0).report()
    proxy.close()
    # record ordinals 2 and 5 are input 1 early and input 2 full
    assert rep["lost_inferences"] == [{"index": 1, "mode": "early", "attempts": 1},
                                      {"index": 2, "mode": "full", "attempts": 1}]
    assert rep["corrupt_records"] == 1 and rep["lost_records"] == 2
    got = decisions(rep)
    assert set(got) == set(decisions(clean)) - {("early", 1), ("full", 2)}
    assert all(got[k] == decisions(clean)[k] for k in got)


def test_disconnects_and_device_resets_are_survived(device, staged_bundle, digits_inputs_obj, clean):
    proxy = FaultProxy(device, Plan(disconnect={3, 10}, reset={6, 15}, seed=3))
    rep = run(proxy.url, staged_bundle, digits_inputs_obj, retries=2, max_resets=3).report()
    proxy.close()
    assert proxy.done["disconnect"] == 2 and proxy.done["reset"] == 2 and device.resets == 2
    assert rep["disconnects"] == 2 and rep["resets"] == 2
    assert rep["lost_inferences"] == [] and rep["lost_records"] == 0 and rep["corrupt_records"] == 0
    assert decisions(rep) == decisions(clean)


def test_a_device_that_keeps_resetting_stops_the_run_with_a_clear_report(device, staged_bundle,
                                                                         digits_inputs_obj):
    proxy = FaultProxy(device, Plan(reset={1, 2, 3}, seed=0))
    rep = run(proxy.url, staged_bundle, digits_inputs_obj, retries=5, max_resets=2).report()
    proxy.close()
    assert rep["stopped"].startswith("the device reset 3 times")
    n = len(digits_inputs_obj.labels)
    done = {(r["mode"], r["index"]) for r in rep["records"]}
    lost = {(d["mode"], d["index"]) for d in rep["lost_inferences"]}
    assert not done & lost and len(done | lost) == 2 * n   # every inference is in the results or counted lost


def test_a_device_that_is_gone_for_good_stops_the_run_with_a_clear_report(device, staged_bundle,
                                                                         digits_inputs_obj, clean):
    proxy = FaultProxy(device, Plan(disconnect={4}, vanish=True))
    rep = run(proxy.url, staged_bundle, digits_inputs_obj, reconnect_timeout=0.5).report()
    assert "could not reconnect within 0.5 s" in rep["stopped"]
    got = decisions(rep)
    assert len(got) == 5 and all(got[k] == decisions(clean)[k] for k in got)  # records 0..4 arrived
    lost = {(d["mode"], d["index"]) for d in rep["lost_inferences"]}
    assert not set(got) & lost and len(set(got) | lost) == 2 * len(digits_inputs_obj.labels)


def test_random_byte_noise_never_yields_a_wrong_record(device, staged_bundle, digits_inputs_obj, clean):
    proxy = FaultProxy(device, Plan(noise=0.004, seed=11))
    rep = run(proxy.url, staged_bundle, digits_inputs_obj, retries=4).report()
    proxy.close()
    got = decisions(rep)
    assert all(got[k] == decisions(clean)[k] for k in got)
    lost = {(d["mode"], d["index"]) for d in rep["lost_inferences"]}
    assert len(set(got) | lost) == 2 * len(digits_inputs_obj.labels)
    assert rep["corrupt_records"] + rep["garbage_bytes"] + rep["retried"] > 0  # the noise did hit


def test_unreachable_device_is_a_clear_error():
    with pytest.raises(DeviceError) as e:
        open_transport("socket://127.0.0.1:1", connect_timeout=0.2)
    assert "cannot open socket://127.0.0.1:1" in e.value.problem


def test_the_typed_client_raises_when_the_device_resets_in_the_middle_of_a_reply(device, digits_x):
    from edge_ee.device.protocol import DeviceClient

    proxy = FaultProxy(device, Plan(reset={0}))
    with DeviceClient(proxy.url, timeout=1.0, infer_timeout=3.0) as client:
        client.load_input(digits_x[0].tobytes())
        with pytest.raises(DeviceError, match="the device reset while answering 'infer 1 0'"):
            client.infer(1)
        client.load_input(digits_x[0].tobytes())  # the restarted device lost its input; it answers again
        assert client.infer(1).records[0].seq == 0
    proxy.close()
