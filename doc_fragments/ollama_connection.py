"""What every module of ours that talks to Ollama shares: connection options, notes and attributes.

The options are module_utils/ollama_api.connection_argument_spec.
"""


class ModuleDocFragment:
    DOCUMENTATION = r"""
author:
  - AI stack maintainers
options:
  url:
    description: Base URL of the Ollama server.
    type: str
    default: http://127.0.0.1:11434
  validate_certs:
    description: Verify the TLS certificate when O(url) is https.
    type: bool
    default: true
  headers:
    description:
      - Extra HTTP headers, for example an C(Authorization) header for an authenticating proxy in front of Ollama.
      - Their values are never logged.
    type: dict
    default: {}
notes:
  - Uses only C(ansible.module_utils.urls); the managed host needs no extra Python package.
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""
