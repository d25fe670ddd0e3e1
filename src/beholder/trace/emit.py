"""Emit: LLVM IR (text from llvmlite.ir) -> optimized module -> BPF ELF object bytes, in-process."""

from __future__ import annotations

import threading

import llvmlite.binding as llvm

_init_lock = threading.Lock()
_initialized = False


def _init() -> None:
    global _initialized
    with _init_lock:
        if not _initialized:
            llvm.initialize_all_targets()
            llvm.initialize_all_asmprinters()
            _initialized = True


def _target_machine() -> llvm.TargetMachine:
    target = llvm.Target.from_triple("bpfel")
    # cpu v3 (32-bit jumps and ALU, 5.1+) keeps programs small; v4's signed division would
    # need 6.6+, and the kernel matrix includes 6.1.
    return target.create_target_machine(cpu="v3", opt=2)


def optimize(ir_text: str) -> llvm.ModuleRef:
    """Parse and run the O2 pipeline: promotes the emitter's stack slots to registers, which
    matters because BPF programs get 512 bytes of stack."""
    _init()
    mod = llvm.parse_assembly(ir_text)
    mod.verify()
    tm = _target_machine()
    mod.triple = "bpfel"
    mod.data_layout = str(tm.target_data)
    pto = llvm.create_pipeline_tuning_options(speed_level=2)
    pb = llvm.create_pass_builder(tm, pto)
    mpm = pb.getModulePassManager()
    mpm.run(mod, pb)
    return mod


def emit_object(ir_text: str) -> bytes:
    """A relocatable BPF ELF that libbpf opens from memory (sections name the program types)."""
    mod = optimize(ir_text)
    return bytes(_target_machine().emit_object(mod))


def emit_assembly(ir_text: str) -> str:
    return str(_target_machine().emit_assembly(optimize(ir_text)))
