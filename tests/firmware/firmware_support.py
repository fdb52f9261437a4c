"""Constants shared by the firmware tests (a module of its own: `conftest` names clash across test folders)."""

EMULATED = ["qemu-mps2-an386", "qemu-mps2-an500", "qemu-mps3-an547"]
IC_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
