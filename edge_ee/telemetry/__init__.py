"""Host side of the device link: transports picked by URL (transport), the resynchronizing telemetry reader
with loss/corruption accounting and reset detection (reader), and commands over an unreliable link (link)."""

from edge_ee.telemetry.link import DeviceLink, Reply
from edge_ee.telemetry.reader import Stats, TelemetryReader
from edge_ee.telemetry.transport import (SerialTransport, Transport, TransportClosed, TransportError,
                                         TransportTimeout, open_transport)

__all__ = ["DeviceLink", "Reply", "SerialTransport", "Stats", "TelemetryReader", "Transport", "TransportClosed",
           "TransportError", "TransportTimeout", "open_transport"]
