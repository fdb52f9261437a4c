"""Devices: firmware builds, flashing, emulated boards (QEMU) and the serial protocol.

  build_firmware(bundle, board, out, force)   edge_ee.device.build
  flash(build_dir, board, dry_run)             edge_ee.device.flash
  qemu.start(machine, elf)                     edge_ee.device.qemu
  DeviceClient(url)                            edge_ee.device.protocol (typed EnergyRunner commands over a
                                              edge_ee.telemetry DeviceLink)
  records                                      edge_ee.device.records (telemetry line format)"""
