"""Addresses to names, shared by the profiler and trace: kallsyms, process maps kept past exit,
ELF symbols by build id, perf maps for JITs, demangling, cgroup names."""
