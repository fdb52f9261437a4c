"""One interface for every power monitor.

    m = open_monitor("lpm01a:/dev/ttyACM1")      # NAME:URL (see MONITORS)
    m.configure(voltage_v=3.3, rate_hz=1000)      # what the monitor supports; others raise ConfigError
    m.start()                                     # records the host time of its t == 0 in the trace
    ...                                           # run inferences
    trace = m.stop()                              # a PowerTrace of everything since start()
    m.close()

Drivers with a maintained Python library use it (imported only when that monitor is opened; a missing one
raises ToolMissing naming the pip extra); documented protocols without a library are implemented here."""

from __future__ import annotations

import importlib

from edge_ee.errors import ConfigError, ToolMissing, UnknownName
from edge_ee.power.trace import PowerTrace


class PowerMonitor:
    name = ""
    has_trigger = False  # whether traces carry the device's timestamp GPIO

    def configure(self, *, voltage_v: float | None = None, rate_hz: float | None = None) -> None:
        raise NotImplementedError

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> PowerTrace:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# name -> (module, class, what the URL is)
MONITORS = {
    "lpm01a": ("edge_ee.power.lpm01a", "LPM01A", "serial port of the ST X-NUCLEO-LPM01A (3,686,400 baud)"),
    "ppk2": ("edge_ee.power.ppk2", "PPK2", "serial port of the Nordic Power Profiler Kit II"),
    "joulescope": ("edge_ee.power.joulescope", "Joulescope", "serial number, or empty for the only one"),
    "ina219": ("edge_ee.power.ina2xx", "INA219", "I2C bus and address, e.g. 1@0x40 (Raspberry Pi /dev/i2c-1)"),
    "ina226": ("edge_ee.power.ina2xx", "INA226", "I2C bus and address, e.g. 1@0x40"),
    "csv": ("edge_ee.power.replay", "CsvReplay", "path of a recorded CSV (time_s, voltage_v, current_a[, trigger])"),
}


def require(module: str, extra: str, what: str):
    """Imports an optional driver library, or raises ToolMissing naming the extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise ToolMissing(f"the {what} driver needs the Python package {module!r}, which is not installed",
                          f"pip install 'edge_ee[{extra}]'") from None


def open_monitor(spec: str) -> PowerMonitor:
    """`NAME:URL` -> a connected monitor."""
    name, sep, url = spec.partition(":")
    name = name.strip().lower()
    if not sep:
        raise ConfigError(f"power monitor {spec!r} is not NAME:URL",
                          "e.g. --power lpm01a:/dev/ttyACM1, --power ppk2:/dev/ttyACM2, --power csv:trace.csv")
    if name not in MONITORS:
        raise UnknownName("power monitor", name, tuple(MONITORS))
    module, cls, _ = MONITORS[name]
    return getattr(importlib.import_module(module), cls)(url)
