# The two commands of the README: `make demo` (the main job) and `make test`.
# Both set up what is missing first: system packages (apt) and the virtual environment in .venv.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.edge_ee-installed
APT_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
DEMO_OUT ?= out/demo

.PHONY: setup system venv demo test test-fast bench clean

setup: system venv

# Installs the Cortex-M toolchain and QEMU only when a tool is missing, so a ready machine pays nothing.
system:
	@if ! command -v arm-none-eabi-gcc >/dev/null || ! command -v qemu-system-arm >/dev/null \
	    || [ ! -e /usr/lib/arm-none-eabi/newlib ]; then \
	  echo "edge_ee: installing $(APT_PACKAGES)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[all,test]'
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/edge-ee demo --out $(DEMO_OUT) --force

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

clean:
	rm -rf build out .pytest_cache
