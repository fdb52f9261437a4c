"""The resynchronizing reader, property-based: records split at any byte, garbage between and inside lines,
lost line endings, single-byte damage, dropped lines and resets. A damaged record is never accepted and the
good/corrupt/lost counts are exact."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edge_ee.device.records import Boot, Record, format_boot, format_record
from edge_ee.telemetry.reader import Corrupt, Line, Rec, Reset, TelemetryReader

K = 3
BOOT = format_boot(Boot("edge_ee-0.1.0", "systick-icount", 25_000_000))


@st.composite
def records(draw, n_min=1, n_max=20):
    n = draw(st.integers(n_min, n_max))
    out = []
    for seq in range(n):
        exit_ = draw(st.integers(0, K - 1))
        counts = tuple(draw(st.integers(1, 10**9)) if k <= exit_ else 0 for k in range(K))
        out.append(Record(seq, exit_, draw(st.integers(0, 9)), draw(st.integers(0, 1)), counts))
    return out


def stream(recs, extra=b""):
    return b"".join(format_record(r).encode() + b"\r\n" + b"m-results-[0.100]\r\n" + extra for r in recs)


def feed_chunked(reader, data, cuts):
    events, last = [], 0
    for c in sorted(set(cuts)) + [len(data)]:
        events += reader.feed(data[last:c])
        last = c
    return events


def accepted(events):
    return [e.record for e in events if isinstance(e, Rec)]


settings.register_profile("measure", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("measure")


@given(records(), st.data())
def test_any_chunking_yields_every_record_once(recs, data):
    raw = stream(recs)
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=30))
    r = TelemetryReader(K)
    events = feed_chunked(r, raw, cuts)
    assert accepted(events) == recs
    assert (r.stats.good, r.stats.corrupt, r.stats.lost) == (len(recs), 0, 0)
    assert [e.text for e in events if isinstance(e, Line)] == ["m-results-[0.100]"] * len(recs)


@given(records(), st.data())
def test_garbage_before_records_and_lost_line_endings_do_not_lose_them(recs, data):
    raw = b""
    for rec in recs:
        glue = data.draw(st.binary(max_size=12).filter(lambda b: b"\n" not in b and b"m-ee-" not in b))
        ending = data.draw(st.sampled_from([b"\r\n", b"\n", b""]))  # b"": the line ending was lost
        raw += glue + format_record(rec).encode() + ending
    raw += b"\r\n"
    r = TelemetryReader(K)
    assert accepted(r.feed(raw)) == recs
    assert r.stats.corrupt == 0 and r.stats.lost == 0


@given(records(n_min=2), st.data())
def test_one_damaged_byte_never_yields_a_wrong_record(recs, data):
    i = data.draw(st.integers(0, len(recs) - 1))
    line = bytearray(format_record(recs[i]).encode())
    pos = data.draw(st.integers(0, len(line) - 1))
    new = data.draw(st.integers(0, 255).filter(lambda b: b != line[pos] and b != ord("\n")))
    line[pos] = new
    raw = stream(recs[:i]) + bytes(line) + b"\r\n" + stream(recs[i + 1:])
    r = TelemetryReader(K)
    got = accepted(r.feed(raw))
    assert got == recs[:i] + recs[i + 1:]            # everything else arrives, the damaged one does not
    r.expect(len(recs))
    assert r.stats.good == len(recs) - 1 and r.stats.lost == 1
    # Damage to the prefix hides the record (it is then only lost); anywhere else it is also seen as corrupt.
    assert r.stats.corrupt == (1 if b"m-ee-rec-" in line else 0)


@given(records(n_min=3), st.data())
def test_dropped_records_are_counted_from_sequence_numbers(recs, data):
    dropped = data.draw(st.sets(st.integers(0, len(recs) - 1)))
    r = TelemetryReader(K)
    got = accepted(r.feed(stream([x for x in recs if x.seq not in dropped])))
    r.expect(len(recs))
    assert got == [x for x in recs if x.seq not in dropped]
    assert r.stats.lost == len(dropped) and r.stats.good == len(recs) - len(dropped)


@given(records(n_min=2, n_max=8), records(n_min=1, n_max=8))
def test_a_reset_restarts_the_numbering(before, after):
    r = TelemetryReader(K)
    events = r.feed(stream(before) + b"\x00\xff" + BOOT.encode() + b"\r\n" + stream(after))
    resets = [e for e in events if isinstance(e, Reset)]
    assert len(resets) == 1 and resets[0].boot.counter == "systick-icount"
    assert accepted(events) == before + after and r.stats.lost == 0 and r.stats.resets == 1


def test_a_reset_whose_boot_line_was_destroyed_is_inferred_from_the_numbering():
    recs = [Record(s, 0, 1, 0, (5, 0)) for s in range(4)]
    r = TelemetryReader(2)
    events = r.feed(stream(recs) + b"m-ee-bXXt-[garbled]\r\n" + stream(recs[:2]))
    assert sum(isinstance(e, Reset) for e in events) == 1
    assert len(accepted(events)) == 6 and r.stats.lost == 0


def test_endless_noise_without_line_ending_is_discarded():
    r = TelemetryReader(2)
    r.feed(b"\xaa" * 5000)
    assert r.stats.garbage_bytes == 5000
    rec = Record(0, 1, 3, 0, (10, 20))
    assert accepted(r.feed(b"\n" + format_record(rec).encode() + b"\n")) == [rec]


def test_wrong_number_of_stage_counts_is_corrupt():
    r = TelemetryReader(3)
    events = r.feed(format_record(Record(0, 0, 1, 0, (5, 0))).encode() + b"\n")
    assert isinstance(events[0], Corrupt) and "stage counts" in events[0].reason


def test_an_unfinished_line_can_be_dropped_so_that_it_does_not_glue_onto_the_next_reply():
    r = TelemetryReader(2)
    assert r.feed(b"m-ready\r\x17") == []  # its line ending was destroyed: the line never ends
    assert r.discard_partial() == 9 and r.stats.garbage_bytes == 9
    assert r.feed(b"m-name-dut-[edge_ee-host]\r\nm-ready\r\n") == [Line("m-name-dut-[edge_ee-host]"), Line("m-ready")]
