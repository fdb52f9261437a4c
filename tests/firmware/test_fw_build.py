"""`edge-ee build`: sizes against the board's limits, and refusals that name the problem and the fix."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from edge_ee.device.build import FirmwareBuild, build_firmware
from edge_ee.errors import ConfigError, FitError, OutputExists


def test_the_build_reports_flash_and_ram_as_arm_none_eabi_size_counts_them(builds, ic_bundle):
    fw = builds.get(ic_bundle, "qemu-mps2-an386")
    out = subprocess.run(["arm-none-eabi-size", "-B", str(fw.elf)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in out.stdout.splitlines()[1].split()[:3])
    s = fw.sizes
    assert (s.flash_bytes, s.ram_bytes) == (text + data, data + bss)
    assert (s.flash_limit, s.ram_limit) == (4_194_304, 4_194_304)
    # The weights live in flash, the arena, the input copy and the stack in RAM.
    assert s.flash_bytes > fw.weights_bytes > 70_000
    assert s.ram_bytes >= fw.arena_bytes + fw.input_bytes + s.stack_bytes
    assert (fw.elf.parent / "firmware.bin").stat().st_size == text + data
    report = json.loads((fw.path / "build.json").read_text())
    assert report["model"]["benchmark"] == "ic01" and report["counter"] == "systick-icount"
    assert FirmwareBuild.load(fw.path) == fw


def test_the_build_folder_can_be_rebuilt_by_hand_with_make(builds, ic_bundle):
    fw = builds.get(ic_bundle, "qemu-mps2-an386")
    r = subprocess.run(["make", "-q", "-f", str(_makefile()), f"CONFIG={fw.path / 'build.mk'}"])
    assert r.returncode == 0  # up to date: the recorded configuration is complete


def _makefile():
    from edge_ee.device.build import FIRMWARE_DIR

    return FIRMWARE_DIR / "Makefile"


@pytest.fixture()
def tiny_board_dir(tmp_path, monkeypatch):
    """The boards plus copies of qemu-mps2-an386 with less memory: qemu-tiny has 32 KiB of RAM (less than
    ResNet-8's arena); qemu-small-flash has 90 KiB of flash (more than its weights, less than the firmware)."""
    from edge_ee.boards import boards_dir

    boards = tmp_path / "boards"
    boards.mkdir()
    for p in boards_dir().glob("*.toml"):
        (boards / p.name).write_text(p.read_text())
    text = (boards / "qemu-mps2-an386.toml").read_text()
    (boards / "qemu-tiny.toml").write_text(text.replace('name = "qemu-mps2-an386"', 'name = "qemu-tiny"')
                                           .replace("ram_bytes = 4_194_304", "ram_bytes = 32_768"))
    (boards / "qemu-small-flash.toml").write_text(
        text.replace('name = "qemu-mps2-an386"', 'name = "qemu-small-flash"')
        .replace("flash_bytes = 4_194_304", "flash_bytes = 92_160"))
    monkeypatch.setenv("EDGE_EE_BOARDS_DIR", str(boards))
    return boards


def test_a_model_too_big_for_the_board_is_refused_before_compiling(ic_bundle, tiny_board_dir, tmp_path):
    with pytest.raises(FitError) as e:
        build_firmware(ic_bundle, "qemu-tiny", tmp_path / "fw")
    assert "does not fit" in e.value.problem and "qemu-tiny has 32.0 KiB" in e.value.problem
    assert "arena 48.3 KiB" in e.value.problem and "more memory" in e.value.fix
    assert not (tmp_path / "fw").exists() and not list(tmp_path.glob(".fw.*"))


def test_a_firmware_that_overflows_flash_at_link_time_is_refused_with_the_overflow(ic_bundle, tiny_board_dir,
                                                                                    tmp_path):
    with pytest.raises(FitError, match=r"FLASH overflowed by \d+ bytes at link time"):
        build_firmware(ic_bundle, "qemu-small-flash", tmp_path / "fw")
    assert not (tmp_path / "fw").exists()


def test_the_cli_refuses_with_the_numbers_and_the_fix(ic_bundle, tiny_board_dir, tmp_path):
    r = subprocess.run([sys.executable, "-m", "edge_ee", "build", str(ic_bundle.path), "--board", "qemu-tiny",
                        "--out", str(tmp_path / "fw")], capture_output=True, text=True)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "error: the model does not fit" in r.stderr and "fix: choose a board with more memory" in r.stderr


def test_boards_without_firmware_are_refused(ic_bundle, tmp_path):
    with pytest.raises(ConfigError, match="raspberry-pi-4 is a linux board"):
        build_firmware(ic_bundle, "raspberry-pi-4", tmp_path / "a")
    with pytest.raises(ConfigError, match="firmware for the rp2040 family is not written yet"):
        build_firmware(ic_bundle, "rpi-pico", tmp_path / "b")


def test_an_existing_output_is_not_overwritten_without_force(builds, ic_bundle):
    fw = builds.get(ic_bundle, "qemu-mps2-an386")
    with pytest.raises(OutputExists):
        build_firmware(ic_bundle, "qemu-mps2-an386", fw.path)
