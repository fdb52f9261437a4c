"""Scratch-buffer sizes of the kernels, the one place the Python memory planner takes them from. The C
kernels' `_get_buffer_size` companions compute the same numbers (a test calls both and compares), and the
generated `ee_init()` checks every planned scratch region against them on the device.

Sizes cover the largest path (the DSP path; the reference path needs none), so one generated library runs
with either path."""

from __future__ import annotations


def conv_s8(kernel_h: int, kernel_w: int, in_channels: int) -> int:
    """ee_conv_s8_get_buffer_size: one int16 receptive-field column."""
    return 2 * kernel_h * kernel_w * in_channels


def fully_connected_s8(accum_depth: int) -> int:
    """ee_fully_connected_s8_get_buffer_size: one int16 input row."""
    return 2 * accum_depth
