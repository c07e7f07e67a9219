"""A stand-in for the Ollama server and CLI, for tests that cannot fetch the real one."""

try:
    from ._version import VERSION
except ImportError:  # running from the source tree rather than a built release
    VERSION = "0.0.0-dev"
