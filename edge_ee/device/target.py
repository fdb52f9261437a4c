"""Boards behind one small interface (STYLE.md): build, flash, open the transport.

    t = target_for("qemu-mps2-an386")
    build = t.build("out/bundle", "out/fw-m4")
    with t.flash(build.path) as dev, t.open(dev.url) as client:   # emulated: flash() returns the running QEMU
        client.load_input(x.tobytes()); res = client.infer(1)

`open(url)` returns a DeviceClient; its timeouts and errors are documented in edge_ee.device.protocol."""

from __future__ import annotations

from edge_ee.device.build import FirmwareBuild, build_firmware
from edge_ee.device.flash import flash
from edge_ee.device.protocol import DeviceClient


class Target:
    """A board that runs edge_ee firmware (kind "emulated" or "mcu")."""

    def __init__(self, board):
        from edge_ee.boards import load_board
        from edge_ee.device.build import check_buildable

        self.board = load_board(board) if isinstance(board, str) else board
        check_buildable(self.board)

    @property
    def name(self) -> str:
        return self.board.name

    def build(self, bundle, out, force: bool = False, **options) -> FirmwareBuild:
        return build_firmware(bundle, self.board, out, force, **options)

    def flash(self, build_dir, dry_run: bool = False, **options):
        return flash(build_dir, self.board, dry_run, **options)

    def open(self, url: str, **options) -> DeviceClient:
        baud = self.board.serial.baud if self.board.serial else 115200
        return DeviceClient(url, baudrate=options.pop("baudrate", baud), **options)


def target_for(board) -> Target:
    return Target(board)
