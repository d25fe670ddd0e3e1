"""Resolution of tracepoint 'args' fields against the catalog's format data, when it has any."""

from __future__ import annotations

from collections.abc import Mapping

from beholder.trace import ast
from beholder.trace import typesys as ty
from beholder.trace.passes import PassContext
from beholder.trace.passes.format_parse import FormatField
from beholder.trace.typesys import SType


def field_type(f: FormatField) -> SType:
    if f.is_string:
        return ty.STRING
    if f.is_array or f.is_data_loc or f.is_rel_loc:
        return ty.UNKNOWN  # byte arrays (addresses...) are typed by the codegen pass
    if "*" in f.c_type:
        return ty.PTR
    return ty.INT


class ArgsResolver:
    """Checks args.X per tracepoint and records what it found in results['tracepoint_fields']."""

    def __init__(self, ctx: PassContext) -> None:
        self.ctx = ctx
        self.used: dict[str, dict[str, FormatField]] = ctx.results.setdefault(
            "tracepoint_fields", {}
        )

    def _fields(self, tp: str) -> Mapping[str, FormatField] | None:
        catalog = self.ctx.catalog
        lookup = getattr(catalog, "tracepoint_fields", None)
        return lookup(tp) if lookup is not None else None

    def field(self, probe: ast.Probe, access: ast.FieldAccess) -> SType:
        """Type of args.<field> in this probe; unknown unless every tracepoint's format is known."""
        result: SType | None = None
        for point in probe.attach_points:
            spec = point.spec
            if spec is None or spec.provider != "tracepoint" or spec.wildcard:
                return ty.UNKNOWN
            tp = f"{spec.target}:{spec.func}"
            fields = self._fields(tp)
            if fields is None:
                return ty.UNKNOWN
            found = fields.get(access.field)
            if found is None:
                names = ", ".join(n for n, f in fields.items() if not f.is_common)
                hint = ""
                if point.expanded_from:
                    having = [
                        p.raw for p in probe.attach_points
                        if p.spec is not None and access.field in (
                            self._fields(f"{p.spec.target}:{p.spec.func}") or {})
                    ]
                    hint = (f" ({point.expanded_from} also matched it; name the tracepoints "
                            f"that have '{access.field}', e.g. {','.join(having[:2])})"
                            if having else f" ({point.expanded_from} matched it)")
                self.ctx.diagnostics.error(
                    f"tracepoint:{tp} has no field '{access.field}'; fields are: {names}{hint}",
                    access.loc,
                )
                return ty.UNKNOWN
            self.used.setdefault(tp, {})[access.field] = found
            t = field_type(found)
            result = t if result is None or ty.compatible(result, t) else ty.UNKNOWN
        return result or ty.UNKNOWN
