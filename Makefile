# beholder: two commands on a fresh machine, `make run` and `make test`; both rest on `make setup`.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := .stamp

# Debian packages: what building and running need, and what the tests add (reference tools,
# real servers and a browser the tests drive).
DEB_BUILD := clang llvm libbpf-dev bpftool gcc make iproute2 iptables util-linux
DEB_TEST := bpftrace golang-go prometheus nginx-light wrk chromium dnsmasq-base nodejs

BPF_SRC := $(wildcard src/beholder/bpf/*.bpf.c)
BPF_OBJ := $(BPF_SRC:.c=.o)
TEST_BPF_SRC := $(wildcard tests/bpf/*.bpf.c)
TEST_BPF_OBJ := $(patsubst tests/bpf/%.bpf.c,tests/bpf/build/%.bpf.o,$(TEST_BPF_SRC))
BENCH_BPF_OBJ := $(patsubst bench/bpf/%.bpf.c,bench/bpf/build/%.bpf.o,$(wildcard bench/bpf/*.bpf.c))
BPF_HDR := src/beholder/bpf/beholder.h build/vmlinux.h
CLANG_BPF := clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -Wall -Wno-unused-function \
	-Ibuild -Isrc/beholder/bpf

.PHONY: setup run test test-kernels check bench clean deb-build deb-test

setup: $(STAMP)/deb-build $(STAMP)/venv $(BPF_OBJ)

# The main job: what this host supports, then the agent (flows, metrics, API on 127.0.0.1:7600).
run: setup
	$(BIN)/beholder doctor
	$(BIN)/beholder serve

test: setup $(STAMP)/deb-test $(TEST_BPF_OBJ)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-kernels: setup $(STAMP)/deb-test $(TEST_BPF_OBJ)
	$(BIN)/python kernels/run.py

check: setup
	$(BIN)/ruff check src tests bench kernels
	$(BIN)/mypy

bench: setup $(STAMP)/deb-test $(BENCH_BPF_OBJ)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

# Install only the packages that are missing, so a second run changes nothing.
$(STAMP)/deb-%: Makefile
	@mkdir -p $(STAMP)
	@pkgs="$(if $(filter build,$*),$(DEB_BUILD),$(DEB_TEST))"; missing=""; \
	for p in $$pkgs; do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@touch $@

$(STAMP)/venv: pyproject.toml
	@mkdir -p $(STAMP)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
	@$(BIN)/python -c 'import beholder, click, llvmlite, duckdb' 
	@touch $@

# vmlinux.h comes from the build host's BTF; CO-RE relocations make the objects portable.
build/vmlinux.h:
	@mkdir -p build
	@test -r /sys/kernel/btf/vmlinux || { echo "error: /sys/kernel/btf/vmlinux missing: building needs a kernel with BTF"; exit 1; }
	bpftool btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

src/beholder/bpf/%.bpf.o: src/beholder/bpf/%.bpf.c $(BPF_HDR) | $(STAMP)/deb-build
	$(CLANG_BPF) -c $< -o $@ && llvm-strip -g $@

tests/bpf/build/%.bpf.o: tests/bpf/%.bpf.c $(BPF_HDR) | $(STAMP)/deb-build
	@mkdir -p tests/bpf/build
	$(CLANG_BPF) -c $< -o $@ && llvm-strip -g $@

bench/bpf/build/%.bpf.o: bench/bpf/%.bpf.c $(BPF_HDR) | $(STAMP)/deb-build
	@mkdir -p bench/bpf/build
	$(CLANG_BPF) -c $< -o $@ && llvm-strip -g $@

clean:
	rm -rf build $(STAMP) src/beholder/bpf/*.bpf.o tests/bpf/build bench/bpf/build
