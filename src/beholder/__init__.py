"""beholder: zero-instrumentation observability for backend engineers, on eBPF."""

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # beholder.trace is the trace package, callable as a function; trace_events comes from it.
    if name == "trace_events":
        from beholder.trace.api import trace_events

        return trace_events
    raise AttributeError(name)
