CROSS := arm-none-eabi-
FAMILY_SRCS := boards/cortexm/startup.c boards/cortexm/systick.c boards/cortexm/semihost.c boards/cortexm/fault.c boards/cortexm/rx_ring.c boards/cmsdk/port_cmsdk.c
FAMILY_INCS := boards/mps2 boards/cortexm boards/cmsdk
LINKER_SCRIPT := boards/mps2/linker.ld
