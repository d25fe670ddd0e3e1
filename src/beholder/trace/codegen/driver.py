"""Codegen driver: the typed AST -> LLVM IR (llvmlite) for the BPF target, plus the Plan.

It runs twice: a dry run learns every map's key and value layout from all the probes (a map
may be read in one probe before another assigns it), then the real run emits code against
maps that the session has created by then (their fds go into the code as ld_pseudo).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llvmlite import ir

from beholder.trace import ast
from beholder.trace.diagnostics import CompileError
from beholder.trace.passes import PassContext

from .core import I64, CodegenError
from .expr import now_ns
from .plan import Plan, ProbePlan
from .stmt import StmtEmitter

__all__ = ["CodegenError", "Plan", "generate"]

UNSUPPORTED = {
    "usdt": "usdt probes are not supported yet",
    "watchpoint": "watchpoints are not supported",
    "asyncwatchpoint": "watchpoints are not supported",
    "iter": "iter probes are not supported yet",
}


def _section(spec: Any, index: int) -> str:
    p = spec.provider
    if p in ("begin", "end"):
        return f"raw_tracepoint/beholder_{p}_{index}"
    if p == "tracepoint":
        return f"tracepoint/{spec.target}/{spec.func}"
    if p == "rawtracepoint":
        return f"raw_tracepoint/{spec.func or spec.target}"
    if p in ("kprobe", "kretprobe", "fentry", "fexit"):
        return f"{p}/{spec.func or spec.target}"
    if p in ("uprobe", "uretprobe"):
        return p
    if p in ("profile", "interval", "software", "hardware"):
        return "perf_event"
    raise CodegenError(UNSUPPORTED.get(p, f"{p} probes are not supported"))


def _fields(catalog: Any, spec: Any) -> Mapping[str, Any]:
    if spec.provider != "tracepoint" or catalog is None:
        return {}
    return catalog.tracepoint_fields(f"{spec.target}:{spec.func}") or {}


def generate(ctx: PassContext, plan: Plan | None = None) -> tuple[str, Plan]:
    """Emit IR text. Without `plan` this is the dry run that builds one."""
    dry = plan is None
    if plan is None:
        plan = Plan()
    else:
        plan.actions.clear()
        plan.probe_names.clear()
        plan.strftime_formats.clear()
        plan.probes.clear()
    module = ir.Module(name="beholder_trace")
    module.triple = "bpf"
    lic = ir.GlobalVariable(module, ir.ArrayType(ir.IntType(8), 4), name="LICENSE")
    lic.section = "license"
    lic.initializer = ir.Constant(ir.ArrayType(ir.IntType(8), 4), bytearray(b"GPL\0"))
    pseudo = ir.Function(module, ir.FunctionType(I64, [I64, I64]), name="llvm.bpf.pseudo")
    start = ctx.results.setdefault("start_ns", now_ns())
    program = ctx.program
    try:
        for pi, probe in enumerate(program.probes):
            for ai, point in enumerate(probe.attach_points):
                spec = point.spec
                if spec is None:
                    continue
                fname = f"probe_{pi}_{ai}"
                em = StmtEmitter(module, plan, fname, _section(spec, pi), pseudo)
                em.dry, em.probe_ast, em.provider = dry, probe, spec.provider
                em.func_name = spec.func or spec.target
                em.tp_fields = dict(_fields(ctx.catalog, spec))
                em.probe_name = spec.canonical()
                em.options, em.variables, em.start_ns = ctx.options, {}, start
                current: ast.Node = probe
                try:
                    if probe.predicate is not None:
                        current = probe.predicate
                        with em.b.if_then(em.b.not_(em.truthy(em.expr(probe.predicate)))):
                            em.b.ret(ir.Constant(ir.IntType(32), 0))
                    current = probe.block
                    em.block(probe.block)
                except CodegenError as e:
                    if e.node is None:
                        e.node = current
                    raise
                em.finish()
                plan.probes.append(ProbePlan(fname, _section(spec, pi), spec.provider,
                                             spec.target, spec.func, dict(spec.params),
                                             spec.canonical()))
                plan.probe_id(spec.canonical())
    except CodegenError as e:
        loc = getattr(e.node, "loc", None) or program.loc
        ctx.diagnostics.error(str(e), loc)
        raise CompileError(ctx.diagnostics) from None
    return str(module), plan
