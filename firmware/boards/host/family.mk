# Host-native build of the command loop (tests drive it over stdin/stdout); no board, no emulator.
CROSS :=
FAMILY_SRCS := boards/host/port_host.c
FAMILY_INCS := boards/host
