"""TI INA219 / INA226 current-shunt monitors on I2C (a Raspberry Pi's /dev/i2c-N) through `smbus2`
(extra `ina`). Register maps from TI's datasheets (INA219: SBOS448; INA226: SBOS547):

    reg  INA219                                   INA226
    0x00 configuration (default 0x399F)           configuration (default 0x4127)
    0x01 shunt voltage, signed, LSB 10 uV         shunt voltage, signed, LSB 2.5 uV
    0x02 bus voltage: bits 15..3, LSB 4 mV        bus voltage, LSB 1.25 mV
         (bit 1 conversion ready, bit 0 overflow)

Registers are 16-bit big-endian; SMBus word reads are little-endian, so bytes are swapped. Current is the
shunt voltage over the shunt resistance (no dependence on the calibration register). Samples are
timestamped with the host's monotonic clock: about 1 kS/s, enough for averages over many inferences, not for
single stages shorter than ~10 ms. There is no trigger input: windows are aligned by host time.

URL: `BUS@ADDRESS[,shunt=OHMS]`, e.g. `1@0x40,shunt=0.1` (the common breakout boards carry 0.1 ohm)."""

from __future__ import annotations

import threading
import time

import numpy as np

from edge_ee.errors import ConfigError
from edge_ee.power.base import PowerMonitor, require
from edge_ee.power.trace import PowerTrace

REG_CONFIG, REG_SHUNT, REG_BUS = 0x00, 0x01, 0x02


def swap16(word: int) -> int:
    return ((word & 0xFF) << 8) | (word >> 8)


def signed16(v: int) -> int:
    return v - 0x10000 if v & 0x8000 else v


def ina219_shunt_v(reg: int) -> float:
    return signed16(reg) * 10e-6


def ina219_bus_v(reg: int) -> float:
    return (reg >> 3) * 4e-3


def ina226_shunt_v(reg: int) -> float:
    return signed16(reg) * 2.5e-6


def ina226_bus_v(reg: int) -> float:
    return reg * 1.25e-3


def parse_url(url: str) -> tuple[int, int, float]:
    head, *opts = url.split(",")
    try:
        bus, addr = head.split("@")
        shunt = 0.1
        for o in opts:
            k, v = o.split("=")
            if k.strip() != "shunt":
                raise ValueError(k)
            shunt = float(v)
        return int(bus), int(addr, 0), shunt
    except ValueError:
        raise ConfigError(f"INA2xx address {url!r} is not BUS@ADDRESS[,shunt=OHMS]",
                          "e.g. --power ina226:1@0x40,shunt=0.1") from None


class _INA(PowerMonitor):
    CONFIG = 0
    shunt_v = staticmethod(ina226_shunt_v)
    bus_v = staticmethod(ina226_bus_v)

    def __init__(self, url: str):
        smbus2 = require("smbus2", "ina", self.name.upper())
        self.url = url
        self.bus_no, self.addr, self.shunt_ohm = parse_url(url)
        self._bus = smbus2.SMBus(self.bus_no)
        self._bus.write_word_data(self.addr, REG_CONFIG, swap16(self.CONFIG))
        self._rows: list[tuple[float, float, float]] = []
        self._running = False
        self._thread: threading.Thread | None = None
        self._t0: float | None = None

    def _read(self, reg: int) -> int:
        return swap16(self._bus.read_word_data(self.addr, reg))

    def configure(self, *, voltage_v: float | None = None, rate_hz: float | None = None) -> None:
        if rate_hz is not None:
            raise ConfigError(f"{self.name} samples as fast as the I2C bus allows", "drop the rate option")
        # voltage: measured on the bus-voltage input, not set

    def start(self) -> None:
        self._rows = []
        self._t0 = time.monotonic()
        self._running = True
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        while self._running:
            t = time.monotonic() - self._t0
            i = self.shunt_v(self._read(REG_SHUNT)) / self.shunt_ohm
            self._rows.append((t, self.bus_v(self._read(REG_BUS)), i))

    def stop(self) -> PowerTrace:
        self._running = False
        if self._thread is not None:
            self._thread.join()
        rows = np.array(self._rows, dtype=np.float64).reshape(-1, 3)
        trace = PowerTrace(rows[:, 0], rows[:, 1], rows[:, 2], None, source=f"{self.name}:{self.url}")
        trace.host_t0 = self._t0
        return trace

    def close(self) -> None:
        self._bus.close()


class INA226(_INA):
    name = "ina226"
    # AVG 1, bus and shunt conversion 588 us each, shunt and bus continuous
    CONFIG = 0x4000 | (0 << 9) | (3 << 6) | (3 << 3) | 0x7
    shunt_v = staticmethod(ina226_shunt_v)
    bus_v = staticmethod(ina226_bus_v)


class INA219(_INA):
    name = "ina219"
    CONFIG = 0x399F  # 32 V range, +-320 mV shunt range, 12-bit, continuous (the datasheet default)
    shunt_v = staticmethod(ina219_shunt_v)
    bus_v = staticmethod(ina219_bus_v)
