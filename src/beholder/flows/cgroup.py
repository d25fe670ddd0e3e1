"""Recognise container runtimes and Kubernetes pods from a cgroup v2 path; pure string work."""

from __future__ import annotations

import re

from beholder.flows.enums import ContainerRuntime
from beholder.flows.process import Container

_HEX64 = r"([0-9a-f]{64})"

# Ordered: the most specific scope names first. Each pattern looks at one path
# component, because systemd and cgroupfs drivers nest the same ids differently.
_SCOPES: tuple[tuple[re.Pattern[str], ContainerRuntime], ...] = (
    (re.compile(rf"^docker-{_HEX64}\.scope$"), ContainerRuntime.DOCKER),
    (re.compile(rf"^cri-containerd-{_HEX64}\.scope$"), ContainerRuntime.CONTAINERD),
    (re.compile(rf"^crio-{_HEX64}\.scope$"), ContainerRuntime.CRIO),
    (re.compile(rf"^libpod-{_HEX64}\.scope$"), ContainerRuntime.PODMAN),
    (re.compile(rf"^libpod-{_HEX64}$"), ContainerRuntime.PODMAN),
)
_NSPAWN = re.compile(r"^systemd-nspawn@(.+)\.service$")
# kubepods-burstable-pod1b2c_..._.slice (systemd driver) or pod1b2c-... (cgroupfs driver)
_POD = re.compile(r"^(?:kubepods-(?:[a-z]+-)?)?pod([0-9a-f]{8}[-_][0-9a-f_-]{27})(?:\.slice)?$")


def container_from_cgroup_path(path: str) -> Container | None:
    """Return the Container a cgroup path belongs to, or None for host processes.

    Examples of recognised paths::

        /system.slice/docker-<id>.scope                       docker
        /docker/<id>                                          docker (cgroupfs driver)
        /kubepods.slice/.../kubepods-besteffort-pod<uid>.slice/cri-containerd-<id>.scope
        /kubepods/burstable/pod<uid>/<id>                     (runtime unknown)
        /machine.slice/libpod-<id>.scope                      podman
        /machine.slice/systemd-nspawn@web.service             systemd
    """
    parts = [p for p in path.split("/") if p]
    pod_uid = ""
    found: Container | None = None
    for i, part in enumerate(parts):
        pm = _POD.match(part)
        if pm:
            # systemd escapes '-' in unit names as '_'; Kubernetes UIDs use '-'.
            pod_uid = pm.group(1).replace("_", "-")
            continue
        for pattern, runtime in _SCOPES:
            m = pattern.match(part)
            if m:
                found = Container(id=m.group(1), runtime=runtime)
                break
        else:
            nm = _NSPAWN.match(part)
            if nm:
                found = Container(name=nm.group(1), runtime=ContainerRuntime.SYSTEMD)
            elif re.fullmatch(_HEX64, part) and i > 0:
                # cgroupfs driver: /docker/<id> or /kubepods/<qos>/pod<uid>/<id>
                owner = ContainerRuntime.DOCKER if parts[i - 1] == "docker" else None
                found = Container(id=part, runtime=owner)
    if found is None:
        return None
    found.pod_uid = pod_uid
    return found
