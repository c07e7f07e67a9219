"""Attributes of our modules that only read: they run in check mode as in a normal run, and show no diff."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: The module only reads, so it runs in check mode as in a normal run.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
"""
