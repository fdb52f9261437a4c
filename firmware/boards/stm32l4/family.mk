CROSS := arm-none-eabi-
FAMILY_SRCS := boards/cortexm/startup.c boards/cortexm/systick.c boards/cortexm/fault.c boards/cortexm/rx_ring.c boards/stm32l4/port_stm32l4.c
FAMILY_INCS := boards/stm32l4 boards/cortexm
LINKER_SCRIPT := boards/stm32l4/linker.ld
