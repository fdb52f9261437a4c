"""Fuzzing the firmware's command parser (the host-native build with ASan/UBSan): any bytes the host sends
must get exactly one reply ending in `m-ready` per `%`, never a crash or undefined behaviour, only ASCII lines
within the line limit, and only records that parse and pass their CRC."""

from __future__ import annotations

import subprocess

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge_ee.device.records import parse_boot, parse_record

WORDS = ["name", "profile", "db", "load", "print", "infer", "results", "timestamp", "ee-mode", "early", "full",
         "ee-info", "help", "64", "63", "0", "1", "3", "-1", "00ff", "zz", "abc", " ", "  "]


@st.composite
def command(draw):
    kind = draw(st.integers(0, 3))
    if kind == 0:  # words of the protocol in any order
        return " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=5)))
    if kind == 1:  # an upload chunk with random hex (valid or not)
        return "db " + draw(st.text("0123456789abcdefABCDEFxg", max_size=90))
    if kind == 2:  # a bounded infer
        return f"infer {draw(st.integers(0, 40))} {draw(st.integers(0, 3))}"
    return draw(st.binary(max_size=120)).replace(b"%", b"").decode("latin-1")  # anything


def run_firmware(exe, data: bytes) -> tuple[int, str, str]:
    p = subprocess.run([str(exe)], input=data, capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode("latin-1"), p.stderr.decode("latin-1")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(command(), min_size=1, max_size=12), st.booleans())
def test_any_command_sequence_gets_one_reply_each(host_firmware_sanitized, cmds, load_first):
    prefix = ["db load 64", "db " + "01" * 32, "db " + "7f" * 32] if load_first else []
    data = "%".join(prefix + cmds).encode("latin-1") + b"%"
    code, out, err = run_firmware(host_firmware_sanitized, data)
    assert code == 0, err[-3000:]
    assert "runtime error" not in err and "AddressSanitizer" not in err
    lines = out.split("\r\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    assert parse_boot(lines[0]) is not None
    assert sum(ln == "m-ready" for ln in lines) == data.count(b"%")
    for ln in lines:
        assert ln.isascii() and len(ln) < 160, ln
        if ln.startswith("m-ee-rec-"):
            rec = parse_record(ln, 2)
            assert rec.exit in (0, 1) and rec.counts[0] > 0


def test_overlong_and_unknown_commands_are_refused(host_firmware_sanitized):
    code, out, _ = run_firmware(host_firmware_sanitized, b"x" * 200 + b"%bogus%\x80\xffz%")
    assert code == 0
    assert "e-[command longer than 80 characters]" in out and "e-[unknown command: bogus]" in out
    assert "e-[unknown command: ??z]" in out  # host bytes are echoed as printable ASCII only
    assert out.count("m-ready") == 3
