#!/usr/bin/env python3
"""Where a command's CPU went, by kind of process, from the kernel's process accounting (not a test: it prints figures).

    bench/cpu_by_process.py -- tests/run_checks.sh          (any command; CHECKS=... works as usual)
    bench/cpu_by_process.py --read FILE                      (a pacct file written earlier)

Needs root and `accton` (Debian's acct package). Accounting records every process of the machine when it ends, the
lab's containers included (they share the kernel), so run it with nothing else going. A process that outlives the
command (a dockerd it started) is not counted. The kinds are read from the process name the kernel keeps (15
characters) and, for Python, from its ancestors, as the controller and Debian 12 hosts both run python3.11:

- Ansible's controller: ansible-playbook itself, and the worker it forks for each task on each host;
- Python below sshd or sudo: the modules Ansible runs on the hosts (python3.13 on Debian 13);
- Python below ansible-playbook: the modules it runs on localhost (amazon.aws against moto, the Docker modules of
  molecule's create and destroy); any other Python (moto_server, the test doubles, pytest-xdist workers) apart.
"""

from __future__ import annotations

import argparse
import collections
import os
import struct
import subprocess
import sys
import tempfile

# struct acct_v3 (linux/acct.h): flag, version, tty, exitcode, uid, gid, pid, ppid, btime, etime (float),
# utime, stime, mem, io, rw, minflt, majflt, swaps (comp_t each), comm[16].
RECORD = struct.Struct("=BBHIIIIIIf8H16s")
ACCT_VERSION = 3
FORKED = 0x01  # AFORK: forked and did not exec (Ansible's workers)
TICKS = 100  # AHZ: comp_t counts in 1/100 s
ANSIBLE = "ansible-playboo"  # the kernel keeps 15 characters
DOCKER = {"docker", "dockerd", "containerd", "containerd-shim", "runc", "exe"}


def comp_t(value: int) -> int:
    """The kernel's 16-bit float: a 13-bit mantissa and a 3-bit base-8 exponent."""
    return (value & 0x1FFF) << (3 * (value >> 13))


def records(path: str) -> list[tuple[str, bool, float, int, int]]:
    """(name, forked without exec, CPU seconds, pid, parent pid) of each process, in the order they ended."""
    with open(path, "rb") as stream:
        data = stream.read()
    found = []
    for offset in range(0, len(data) - RECORD.size + 1, RECORD.size):
        fields = RECORD.unpack_from(data, offset)
        if fields[1] & 0x0F == ACCT_VERSION:
            comm = fields[-1].split(b"\0", 1)[0].decode(errors="replace")
            found.append((comm, bool(fields[0] & FORKED), (comp_t(fields[10]) + comp_t(fields[11])) / TICKS,
                          fields[6], fields[7]))
    return found


def with_ancestors(path: str, depth: int = 6):
    """Each process with the names of its ancestors, nearest first.

    A parent ends after its child and keeps its pid until then, so the parent is the next process to end with that
    pid (an orphan names its new parent); an ancestor still running at the end is not known.
    """
    later: dict[int, tuple[str, int]] = {}
    found = []
    for comm, forked, cpu, pid, ppid in reversed(records(path)):
        ancestors, parent = [], ppid
        while parent in later and len(ancestors) < depth:
            name, parent = later[parent]
            ancestors.append(name)
        found.append((comm, forked, cpu, ancestors))
        later[pid] = (comm, ppid)
    return found


def kind(comm: str, forked: bool, ancestors: list[str]) -> str:
    if comm == ANSIBLE:
        return "Ansible on the controller: " + ("a worker per task and host" if forked else "ansible-playbook itself")
    if comm.startswith("python3"):
        # Which side ran it: a module reaches a host through sshd (then sudo), a local one is Ansible's child.
        side = next((name for name in ancestors if name in {"sshd", "sudo", ANSIBLE}), "")
        if side in {"sshd", "sudo"}:
            return f"Python on the hosts: modules ({'Debian 13' if comm == 'python3.13' else 'Debian 12'})"
        if side == ANSIBLE:
            return "Python on the controller: modules run on localhost (amazon.aws on moto, Docker)"
        return "Python, other (moto_server, the doubles, pytest-xdist workers, the hosts' services)"
    if comm.startswith(("pytest", "molecule", "ansible")):
        return "pytest, molecule, ansible-lint and other Ansible tools"
    if comm in DOCKER:
        return "Docker (CLI, engine, containerd, runc)"
    if comm in {"ssh", "sshd", "sudo"}:
        return "ssh, sshd and sudo"
    return ""


def report(path: str) -> None:
    seconds: dict[str, float] = collections.Counter()
    count: dict[str, int] = collections.Counter()
    other: dict[str, float] = collections.Counter()
    for comm, forked, cpu, ancestors in with_ancestors(path):
        name = kind(comm, forked, ancestors)
        if not name:
            name = "everything else"
            other[comm] += cpu
        seconds[name] += cpu
        count[name] += 1
    total = sum(seconds.values()) or 1.0
    print(f"{'CPU s':>8} {'share':>6} {'procs':>7} {'per proc':>8}  kind")
    for name, cpu in sorted(seconds.items(), key=lambda item: -item[1]):
        print(f"{cpu:8.0f} {100 * cpu / total:5.1f}% {count[name]:7d} {cpu / count[name]:8.3f}  {name}")
    print(f"{total:8.0f} s of CPU in all ({total / 60:.1f} core-minutes)")
    top = ", ".join(f"{comm} {cpu:.0f} s" for comm, cpu in other.most_common(8))
    print(f"everything else, largest first: {top}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--read", metavar="FILE", help="report on a pacct file instead of running a command")
    parser.add_argument("command", nargs="*", help="the command to run under accounting")
    args = parser.parse_args()
    if args.read:
        report(args.read)
        return 0
    if not args.command:
        parser.error("give a command to run (after --), or --read FILE")
    with tempfile.TemporaryDirectory(prefix="cpu-by-process-") as folder:
        path = os.path.join(folder, "pacct")
        open(path, "wb").close()
        try:
            subprocess.run(["accton", path], check=True, stdout=subprocess.DEVNULL)
        except (OSError, subprocess.CalledProcessError) as error:
            print(f"cannot turn process accounting on ({error}): run as root with Debian's acct package installed",
                  file=sys.stderr)
            return 3
        try:
            rc = subprocess.run(args.command, check=False).returncode
        finally:
            subprocess.run(["accton", "off"], check=False, stdout=subprocess.DEVNULL)
        print(f"== {' '.join(args.command)} exited {rc}; CPU by kind of process:")
        report(path)
    return rc


if __name__ == "__main__":
    sys.exit(main())
