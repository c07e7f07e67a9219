"""bench/cpu_by_process.py reads the kernel's acct_v3 records: CPU in comp_t, and which side ran each Python."""

from __future__ import annotations

import importlib.util

from conftest import ROOT

_spec = importlib.util.spec_from_file_location("cpu_by_process", ROOT / "bench" / "cpu_by_process.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def record(comm: str, pid: int, ppid: int, ticks: int, forked: bool = False) -> bytes:
    """One record as the kernel writes it: user time in comp_t, no system time."""
    exponent = 0
    while ticks >= 1 << 13:  # comp_t keeps 13 bits of mantissa, then base-8 exponents (precision is lost)
        ticks >>= 3
        exponent += 1
    utime = exponent << 13 | ticks
    return bench.RECORD.pack(int(forked), 3, 0, 0, 0, 0, pid, ppid, 0, 0.0, utime, 0, 0, 0, 0, 0, 0, 0,
                             comm.encode())


def test_comp_t_is_decoded_with_its_base_eight_exponent():
    assert bench.comp_t(0x0005) == 5
    assert bench.comp_t(0x2001) == 8  # exponent 1: 1 * 8
    assert bench.comp_t(0x4003) == 3 * 64


def test_each_python_is_put_on_the_side_that_ran_it(tmp_path):
    # In the order processes end: children before their parents; pid 12 is used again after its process ended.
    records = [
        record("python3.11", 13, 12, 70),  # a local module: ansible-playbook's worker ran it through sh
        record("sh", 12, 11, 1),
        record("python3.11", 23, 22, 20),  # a module on a Debian 12 host (the interpreter discovery found)
        record("sh", 22, 21, 1),
        record("sudo", 21, 20, 1),
        record("python3.13", 33, 32, 30),  # a module on a Debian 13 host, without become
        record("sh", 32, 20, 1),
        record("sshd", 20, 1, 5),
        record("ansible-playboo", 11, 10, 10, forked=True),
        record("python3.11", 41, 12, 9000),  # moto_server, whose parent (pytest) reused pid 12 and is still running
        record("ansible-playboo", 10, 9, 180),
    ]
    path = tmp_path / "pacct"
    path.write_bytes(b"".join(records))
    kinds = {(comm, round(cpu, 2)): bench.kind(comm, forked, ancestors)
             for comm, forked, cpu, ancestors in bench.with_ancestors(str(path))}
    assert kinds[("python3.11", 0.7)].startswith("Python on the controller: modules run on localhost")
    assert kinds[("python3.11", 0.2)] == "Python on the hosts: modules (Debian 12)"
    assert kinds[("python3.13", 0.3)] == "Python on the hosts: modules (Debian 13)"
    # 9000 ticks need an exponent: 1125 * 8, exact here.
    assert kinds[("python3.11", 90.0)].startswith("Python, other")
    assert kinds[("ansible-playboo", 0.1)] == "Ansible on the controller: a worker per task and host"
    assert kinds[("ansible-playboo", 1.8)] == "Ansible on the controller: ansible-playbook itself"
