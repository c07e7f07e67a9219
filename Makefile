# Two commands matter: `make demo` (the local lab) and `make test` (every check).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg

.PHONY: venv host test demo demo-two-brains demo-clean clean

## venv: the virtual environment from the pinned requirements, rebuilt only when they change
venv: $(VENV)/.installed

# .venv is a link to an environment built once per machine and set of pins (tools/venv.sh).
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@tools/venv.sh $(VENV) $(PYTHON) requirements-dev.txt

## host: a Docker engine that answers, plus debootstrap and zstd (installed/started only when missing)
host:
	@tests/lib/host-deps.sh

## test: lint, docs, syntax, unit tests and every molecule scenario; ends with `N passed, N failed`
test: venv host
	@tests/run_checks.sh

## demo: the local lab (brain and body as systemd containers, registry, release mirror)
demo: venv host
	@tests/lab/demo.sh up

## demo-two-brains: the demo plus a second brain behind HAProxy (rolling upgrades, bench/load.py)
demo-two-brains: demo
	@tests/lab/demo.sh scale-out

## demo-clean: remove every lab container, network and volume the demo made
demo-clean:
	@tests/lab/demo.sh down

## clean: demo-clean, plus the venv link, caches and test images (a dockerd we started is stopped; the shared
##        environments stay in ~/.cache/ai-stack-ansible/venvs, remove that folder to rebuild them)
clean: demo-clean
	-@tests/lib/lab-services.sh down 2>/dev/null
	-@docker image ls --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep '^ai-stack-lab/' | xargs -r docker image rm >/dev/null
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache reports
	@tests/lib/stop-engine.sh
