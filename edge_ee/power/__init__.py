"""Power monitors behind one interface (base.PowerMonitor), power traces and their integration over
inference windows (trace.PowerTrace)."""

from edge_ee.power.base import MONITORS, PowerMonitor, open_monitor
from edge_ee.power.trace import PowerTrace, host_windows, trigger_windows, window_energies_uj

__all__ = ["MONITORS", "PowerMonitor", "PowerTrace", "host_windows", "open_monitor", "trigger_windows",
           "window_energies_uj"]
