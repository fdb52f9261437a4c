"""Generated C for microcontrollers: bit-exact int8 kernels (firmware/kernels), a static memory plan, the
integer exit test in portable C, and the host twin that runs the same C through ctypes."""

from edge_ee.codegen.generator import ExitSpec, Generated, StageSpec, generate, generate_bundle

__all__ = ["ExitSpec", "Generated", "StageSpec", "generate", "generate_bundle"]
