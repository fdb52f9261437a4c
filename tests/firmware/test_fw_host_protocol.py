"""The command loop (firmware/app) built natively with a real generated model (MLPerf IC ResNet-8) and driven
over pipes: the EnergyRunner protocol, edge_ee's commands, records and errors, without an emulator."""

from __future__ import annotations

import select
import time

import numpy as np
import pytest

from edge_ee.device.hostfw import HostFirmware, build_host_firmware
from edge_ee.device.protocol import DeviceClient, DeviceReplyError, DeviceTimeout
from edge_ee.device.records import parse_record
from edge_ee.telemetry.link import Reply


@pytest.fixture(scope="module")
def host_exe(ic_bundle, tmp_path_factory):
    from edge_ee.codegen import generate_bundle

    root = tmp_path_factory.mktemp("host_fw")
    generate_bundle(ic_bundle, root / "model")
    return build_host_firmware(root / "model", root / "build", model_name="mlperf-ic", benchmark="ic01")


@pytest.fixture()
def device(host_exe):
    with HostFirmware(host_exe) as fw, DeviceClient("host", transport=fw.transport) as client:
        assert client.wait_boot().counter == "host-ns"
        yield client


def test_boot_prints_one_line_without_m_ready(host_exe):
    with HostFirmware(host_exe) as fw:
        out = b""
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and b"\n" not in out:
            if select.select([fw.proc.stdout], [], [], 0.1)[0]:
                out += fw.proc.stdout.read1(1024)
        assert out == b"m-ee-boot-[edge_ee-0.1.0,host-ns,1000000000]\r\n"


def test_identity_commands_answer_as_the_mlperf_runner_expects(device):
    raw = device.command("name")
    assert raw == ["m-name-dut-[edge_ee-host]"]  # no echo of the command, one line, then m-ready
    assert device.profile() == {"profile": "edge_ee-0.1.0", "model": "ic01"}
    info = device.info()
    assert (info.model, info.stages, info.classes, info.input_bytes, info.counter, info.mode) == \
           ("mlperf-ic", 1, 10, 3072, "host-ns", "early")


def test_inference_on_real_inputs_matches_the_twin(device, ic_samples, ic_twin):
    for seq, x in enumerate(ic_samples.x[:3]):
        device.load_input(x.tobytes())
        res = device.infer(1, 0, num_stages=1)
        exit_stage, pred, _, result = ic_twin.lib.infer(x)
        (rec,) = res.records
        assert (rec.seq, rec.exit, rec.pred, rec.mode) == (seq, exit_stage, pred, 0)
        assert rec.counts[0] > 0
        assert res.scores == pytest.approx(ic_twin.lib.scores_permille(result) / 1000, abs=1e-9)
        assert min(res.scores) >= 0 and sum(res.scores) == pytest.approx(1, abs=0.01)
        assert res.lap_us is not None and res.lap_us[1] >= res.lap_us[0]
        assert device.results() == res.scores


def test_the_reply_to_infer_has_the_energyrunner_lines_in_order(device, ic_samples):
    device.load_input(ic_samples.x[0].tobytes())
    lines = device.command("infer 2 1")
    kinds = [ln.split("[")[0].rstrip("0123456789-") for ln in lines]
    assert kinds == ["m-warmup-start", "m-warmup-done", "m-infer-start", "m-lap-us", "m-lap-us", "m-infer-done",
                     "m-ee-rec", "m-ee-rec", "m-results"]
    assert [parse_record(ln).seq for ln in lines if ln.startswith("m-ee-rec")] == [0, 1]  # warm-ups take no number


def test_records_beyond_the_buffer_are_counted_and_their_numbers_skipped(device, ic_samples):
    device.load_input(ic_samples.x[0].tobytes())
    res = device.infer(34, 0)
    assert len(res.records) == 32 and res.dropped == 2
    assert device.infer(1, 0).records[0].seq == 34


def test_forced_full_depth_is_reported_in_the_records(device, ic_samples):
    device.load_input(ic_samples.x[1].tobytes())
    device.set_mode(full=True)
    assert device.info().mode == "full" and device.infer(1).records[0].mode == 1
    device.set_mode(full=False)
    assert device.infer(1).records[0].mode == 0


def test_db_print_shows_the_uploaded_bytes(device):
    data = bytes(range(256)) * 12
    device.load_input(data)
    assert device.command("db print") == [f"m-buffer-[{data[:32].hex()}]"]


@pytest.mark.parametrize("cmd, message", [
    ("infer 1 0", "no complete input loaded"),
    ("db load 100", "the model input is 3072 int8 bytes"),
    ("db 00", "send 'db load N%' first"),
    ("bogus", "unknown command: bogus"),
    ("infer 0 0", "N >= 1"),
    ("ee-mode sideways", "ee-mode needs"),
    ("results", "no inference yet"),
])
def test_bad_commands_get_an_error_line_and_the_device_keeps_working(device, cmd, message):
    with pytest.raises(DeviceReplyError, match=message):
        device.command(cmd)
    assert device.name() == "edge_ee-host"


def test_malformed_uploads_are_refused(device):
    device.command("db load 3072")
    with pytest.raises(DeviceReplyError, match="odd number of hex digits"):
        device.command("db 123")
    with pytest.raises(DeviceReplyError, match="not a hex digit"):
        device.command("db zz")
    device.load_input(bytes(3072))
    with pytest.raises(DeviceReplyError, match="more bytes than announced"):
        device.command("db 00")


def send_raw(device, data: bytes) -> Reply:
    """Bytes that DeviceLink.command() would refuse or never send, and the reply to them."""
    device.link.transport.write(data)
    return device.link.collect(Reply(data.decode()))


def test_a_command_over_80_characters_is_refused_whole(device):
    reply = send_raw(device, b"db " + b"00" * 60 + b"%")
    assert reply.complete and reply.lines == ["e-[command longer than 80 characters]"]
    assert device.name() == "edge_ee-host"


def test_line_endings_from_a_terminal_are_ignored(device):
    reply = send_raw(device, b"name%\r\n")
    assert reply.complete and reply.lines == ["m-name-dut-[edge_ee-host]"]
    assert device.info().stages == 1


def test_a_reset_starts_over_and_the_host_notices_it(device, ic_samples):
    device.load_input(ic_samples.x[0].tobytes())
    device.infer(1)
    assert device.command("ee-reset") == ["m-ee-reset"]
    assert device.name() == "edge_ee-host"
    assert len(device.boots) == 2  # the boot line after the reset came before the next reply
    with pytest.raises(DeviceReplyError, match="no complete input loaded"):
        device.command("infer 1 0")  # the input buffer was cleared
    device.load_input(ic_samples.x[0].tobytes())
    assert device.infer(1).records[0].seq == 0


def test_a_late_answer_is_not_taken_for_the_next_reply(device, ic_samples):
    device.load_input(ic_samples.x[0].tobytes())
    with pytest.raises(DeviceTimeout, match="no answer .* within 0.001 s"):
        device.command("infer 20 0", line_timeout=0.001)
    time.sleep(1.0)  # the rest of the infer reply arrives while nobody waits for it
    assert device.name() == "edge_ee-host"  # that reply was discarded, not read as the answer to name%
    assert device.infer(1).records[0].seq == 20


def test_a_reset_between_commands_is_noticed_and_the_next_command_still_answered(device):
    send_raw(device, b"ee-mode full%")
    device.link.transport.write(b"ee-reset%")  # as if someone pressed the reset button
    time.sleep(0.5)
    assert device.info().mode == "early"
    assert len(device.boots) == 2
