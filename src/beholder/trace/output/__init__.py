"""Output layer of ``beholder trace``: value model + bpftrace 0.17 text/JSON renderers.

Pure Python: raw values come in already read from the kernel; nothing here
touches BPF.  See values.py for the kernel-side layouts and bucket functions
the code generator must match.
"""

from beholder.trace.output.histograms import (
    Bucket,
    Histogram,
    LinearHistogram,
    hist_index,
    lhist_index,
)
from beholder.trace.output.maps import (
    MapEntry,
    MapSnapshot,
    ValueKind,
    kind_of,
    ordered_entries,
    snapshot,
)
from beholder.trace.output.model import JsonPrinter, Printer, TextPrinter, make_printer
from beholder.trace.output.printf import (
    FormatError,
    FormatString,
    format_printf,
    parse_format,
    printf_arg_type,
)
from beholder.trace.output.timefmt import strftime_text, time_text
from beholder.trace.output.values import (
    Avg,
    Buffer,
    Count,
    Max,
    Min,
    Stack,
    Stats,
    Sum,
    Symbol,
    Unquoted,
    decode_bpftrace_min,
)

__all__ = [
    "Avg",
    "Bucket",
    "Buffer",
    "Count",
    "FormatError",
    "FormatString",
    "Histogram",
    "JsonPrinter",
    "LinearHistogram",
    "MapEntry",
    "MapSnapshot",
    "Max",
    "Min",
    "Printer",
    "Stack",
    "Stats",
    "Sum",
    "Symbol",
    "TextPrinter",
    "Unquoted",
    "ValueKind",
    "decode_bpftrace_min",
    "format_printf",
    "hist_index",
    "kind_of",
    "lhist_index",
    "make_printer",
    "ordered_entries",
    "parse_format",
    "printf_arg_type",
    "snapshot",
    "strftime_text",
    "time_text",
]
