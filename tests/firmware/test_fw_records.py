"""The telemetry record format (firmware/app/telemetry.h, edge_ee/device/records.py)."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge_ee.device.records import (Boot, Record, RecordError, format_boot, format_record, parse_boot,
                                    parse_record)

counts = st.integers(0, 2**64 - 1)
records = st.builds(Record, st.integers(0, 2**32 - 1), st.integers(0, 7), st.integers(0, 999), st.sampled_from([0, 1]),
                    st.lists(counts, min_size=8, max_size=8).map(tuple)).map(
    lambda r: Record(r.seq, r.exit, r.pred, r.mode, r.counts[:r.exit + 1] + (0,) * (7 - r.exit)))


@given(records)
def test_a_record_survives_formatting_and_parsing(rec):
    line = format_record(rec)
    assert line.isascii() and parse_record(line + "\r\n", num_stages=8) == rec


def test_the_checksum_is_zlib_crc32_of_the_bracketed_text():
    line = format_record(Record(7, 1, 3, 0, (1200, 3400, 0)))
    assert line.startswith("m-ee-rec-[7,1,3,0,1200,3400,0]-")
    assert line.endswith(f"{zlib.crc32(b'7,1,3,0,1200,3400,0'):08x}")


def test_a_three_stage_record_fits_the_runners_80_characters():
    assert len(format_record(Record(2**32 - 1, 2, 9, 1, (999_999_999,) * 3))) <= 80


@pytest.mark.parametrize("damage", [
    lambda s: s.replace("[7,", "[8,"),         # a changed digit
    lambda s: s[:-1] + ("0" if s[-1] != "0" else "1"),  # a changed checksum
    lambda s: s.replace(",3400", ""),          # a lost field
    lambda s: s[:20],                          # a cut line
])
def test_damaged_records_are_refused(damage):
    with pytest.raises(RecordError):
        parse_record(damage(format_record(Record(7, 1, 3, 0, (1200, 3400, 0)))), num_stages=3)


def test_a_record_of_another_model_is_refused():
    with pytest.raises(RecordError, match="2 stage counts, the model has 3"):
        parse_record(format_record(Record(0, 0, 1, 0, (10, 0))), num_stages=3)


def test_boot_lines_parse_and_never_contain_m_ready():
    boot = Boot("edge_ee-0.1.0", "systick-icount", 25_000_000)
    line = format_boot(boot)
    assert parse_boot(line) == boot and boot.unit == "instructions"
    assert "m-ready" not in line and parse_boot("m-ready") is None
