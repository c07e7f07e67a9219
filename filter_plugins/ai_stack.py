# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The contract between brain, body and verify, and the input checks every role runs in preflight.

Model references, the brain's URL and the warm-up request are read and built by
module_utils/ollama_api.py, the same code the modules run on the hosts, loaded
here by path (a project-level plugin cannot import project module_utils by
name), so a name the body's preflight accepts is the name the brain serves.

A role lists its public variables with the kind of value each must hold
(vars/main.yml, `_<role>_input_checks`); `ai_stack_input_problems` turns that
list into sentences that name the variable, the value, what is wrong and what
to write instead, and `ai_stack_input_warnings` into warnings for values that
are allowed but unusual. Address arithmetic uses Python's ipaddress module, so
`0.0.0.0/1` plus `128.0.0.0/1` is the world like `0.0.0.0/0` is.
"""

from __future__ import annotations

import hashlib
import importlib.util
import ipaddress
import math
import re
from collections.abc import Mapping
from pathlib import Path

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_bytes
from ansible.module_utils.parsing.convert_bool import boolean

_spec = importlib.util.spec_from_file_location(
    "ai_stack_ollama_api", Path(__file__).resolve().parents[1] / "module_utils" / "ollama_api.py")
ollama_api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ollama_api)

# Go's time.ParseDuration, which Ollama tries first; whole seconds are its fallback.
_GO_DURATION = re.compile(r"[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+")
_WHOLE_SECONDS = re.compile(r"[-+]?\d+")
_ACCOUNT = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
# A host name or IPv4 address, as the registry and host:port kinds read it (no group, so callers number theirs).
_HOST_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(?P<port>\d+))?(?P<path>/\S*)?")
_IMAGE = re.compile(
    r"(?:(?P<registry>[A-Za-z0-9.-]+(?::\d+)?)/)?(?P<path>[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@sha256:(?P<digest>[0-9a-f]{64}))?")



def _flag(value) -> bool:
    """A yes/no option as Ansible reads it ('false' is false); -e key=value gives strings."""
    return boolean(value, strict=False)


def _port_number(value) -> int | None:
    """The TCP/UDP port a port input holds (1-65535), or None; one rule for every port the roles read."""
    number = _integer(value)
    return number if number is not None and 1 <= number <= 65535 else None


def published_port(item) -> dict | None:
    """'[ip:]host:container[/proto]' or 'container[/proto]' read as Docker reads it, or None when it is not one.

    Parsed from the right, so '70000:8000' is a host port out of range, not an address.
    """
    text = str(item)
    text, _, proto = text.partition("/")
    if proto not in ("", "tcp", "udp"):
        return None
    ip = ""
    if text.startswith("["):
        ip, sep, text = text[1:].partition("]:")
        if not sep:
            return None
    elif text.count(":") == 2:
        ip, text = text.split(":", 1)
    parts = text.split(":")
    if len(parts) > 2 or any(_port_number(p) is None for p in parts):
        return None
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            return None
    return {"ip": ip, "host": int(parts[0]) if len(parts) == 2 else None, "container": int(parts[-1]),
            "proto": proto or "tcp"}


def _be(items, what: str) -> str:
    """'is not a port mapping' for one item, 'are not port mappings' for several."""
    if len(items) == 1:
        return f"is not {what}"
    return "are not " + " ".join(what.split(" ")[1:]).replace(what.split(" ")[-1], what.split(" ")[-1] + "s")


def _show(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _number(value) -> float | None:
    # A string with spaces around it would reach the env file as written.
    if isinstance(value, bool) or (isinstance(value, str) and value != value.strip()):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _integer(value) -> int | None:
    """The number a whole-number input holds, or None.

    A string counts only when templates would write it as that number: '11434'
    does, '11434 ', '+11434' and '011434' do not (a drop-in would carry the
    space or the zero), so they are refused rather than read one way and
    written another.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _WHOLE_SECONDS.fullmatch(value) and str(int(value)) == value:
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def ollama_duration_seconds(value) -> float | None:
    """Seconds Ollama reads from a keep-alive style duration (negative: forever); None when it cannot."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value)
    text = str(value)
    if text != text.strip():
        return None  # written to the drop-in as given
    if _WHOLE_SECONDS.fullmatch(text):
        return float(int(text))
    if text in ("0", "-0", "+0"):
        return 0.0
    if not _GO_DURATION.fullmatch(text):
        return None
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
    total = sum(float(n) * units[u] for n, u in re.findall(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)", text))
    return -total if text.startswith("-") else total


def model_name_problem(name) -> str:
    """Why a model reference is not one Ollama can pull, or '' when it is."""
    try:
        ollama_api.parse_model_ref(name)
    except ValueError as exc:
        return str(exc)
    return ""


def ollama_model_ref(name) -> dict:
    """'gemma3' -> {name: 'gemma3:latest', host: 'registry.ollama.ai', repository: 'library/gemma3', tag: 'latest'}."""
    try:
        return ollama_api.parse_model_ref(name)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None


def ollama_warmup_request(model, keep_alive, options=None) -> dict:
    """The load request the warm-up unit replays after every start (ollama_warmup sends the same)."""
    return ollama_api.warmup_request(model, keep_alive, options)


def ollama_models_to_warm(running, models, keep_alive, context_length=None, options=None) -> dict:
    """Each wanted model that /api/ps does not show loaded as wanted, with the reason (ollama_warmup's own test)."""
    return ollama_api.models_to_warm(list(running or []), list(models or []), keep_alive,
                                     ollama_api.warm_context_length(int(context_length or 0), options))


def ai_stack_lb_target(description, names_by_instance) -> dict:
    """One ALB target's health (elb_target_group_info) in brain_lb_servers' form; the ALB counts no requests here."""
    target = description.get("target") or {}
    health = description.get("target_health") or {}
    state = str(health.get("state") or "unknown")
    return {"name": (names_by_instance or {}).get(target.get("id"), target.get("id")), "status": state,
            "healthy": state == "healthy", "in_flight": -1, "requests": -1,
            "check": health.get("reason") or "", "check_desc": health.get("description") or ""}


# amazon.aws.cloudwatch_metric_alarm's arguments, and the describe_alarms field each one sets
# (snake_case, as cloudwatch_metric_alarm_info returns them).
_ALARM_FIELDS = {"name": "alarm_name", "description": "alarm_description", "namespace": "namespace",
                 "metric_name": "metric_name", "dimensions": "dimensions", "statistic": "statistic",
                 "comparison": "comparison_operator", "threshold": "threshold", "period": "period",
                 "evaluation_periods": "evaluation_periods", "unit": "unit", "treat_missing_data": "treat_missing_data",
                 "alarm_actions": "alarm_actions", "insufficient_data_actions": "insufficient_data_actions",
                 "ok_actions": "ok_actions"}
# Fields that say what state an alarm is in, not how it is set up: the module leaves them out of its comparison too.
_ALARM_STATE_FIELDS = {"actions_enabled", "state_value", "state_reason", "state_reason_data", "state_updated_timestamp",
                       "state_transitioned_timestamp", "alarm_arn", "alarm_configuration_updated_timestamp", "metrics"}


def _alarm_as_written(arguments: Mapping) -> dict:
    """What cloudwatch_metric_alarm would put for these arguments, in describe_alarms' fields.

    Keys that are not its arguments (an alarm's kind) are ignored.
    """
    written = {"alarm_actions": [], "insufficient_data_actions": [], "ok_actions": [], "treat_missing_data": "missing"}
    for argument, field in _ALARM_FIELDS.items():
        value = arguments.get(argument)
        if value is None or (argument == "unit" and not value):
            continue
        if argument == "dimensions":
            value = [{"name": name, "value": dimension} for name, dimension in value.items()]
        elif argument == "threshold":
            value = float(value)
        elif argument in ("period", "evaluation_periods"):
            value = int(value)
        written[field] = value
    return written


def ai_stack_alarms_to_put(wanted, live) -> list[dict]:
    """The wanted alarms (cloudwatch_metric_alarm's arguments) that are missing from the live ones, or set up otherwise.

    live is cloudwatch_metric_alarm_info's metric_alarms. The comparison is the module's own: every field
    but the alarm's state, so an alarm that one read finds as wanted needs no call of its own.
    """
    found = {alarm.get("alarm_name"): alarm for alarm in live or []}
    to_put = []
    for arguments in wanted or []:
        current = found.get(arguments.get("name"))
        if current is not None:
            current = {field: value for field, value in current.items() if field not in _ALARM_STATE_FIELDS}
            current.setdefault("treat_missing_data", "missing")
            if not current.get("dimensions"):
                current.pop("dimensions", None)
        if current != _alarm_as_written(arguments):
            to_put.append(arguments)
    return to_put


def ai_stack_with_checksums(entries, contents) -> list[dict]:
    """Each wanted file (path, mode, ...) with the SHA-1 of its wanted content, as host_state compares it.

    The content itself never travels to the host: a drop-in may hold a proxy password.
    """
    entries, contents = list(entries or []), list(contents or [])
    if len(entries) != len(contents):
        raise AnsibleFilterError(f"ai_stack_with_checksums: {len(entries)} files but {len(contents)} contents")
    return [dict({k: v for k, v in entry.items() if k not in ("src", "content")},
                 checksum=hashlib.sha1(to_bytes(content), usedforsecurity=False).hexdigest())
            for entry, content in zip(entries, contents, strict=True)]


def ai_stack_brain_url(brains, hostvars, port=11434, explicit="") -> str:
    """The URL the body and verify use for the brain: an explicit one, else the first brain's private IP.

    '' when no brain host with a private_ip_address is known (callers refuse that in preflight).
    """
    if explicit:
        return str(explicit).rstrip("/")
    for host in brains or []:
        address = (hostvars.get(host) or {}).get("private_ip_address")
        if address:
            host_part = f"[{address}]" if ":" in str(address) else address
            return f"http://{host_part}:{int(port)}"
    return ""


def ollama_memory_needs(names, weights: dict, kv_per_token: dict, context_length, kv_factor, overhead_mb) -> dict:
    """MiB each model needs loaded: weights + KV cache for the context + graph; 0 when not known."""
    needs = {}
    for name in names:
        if not weights.get(name) or not kv_per_token.get(name):
            needs[name] = 0
            continue
        kv = kv_per_token[name] * int(context_length) * float(kv_factor)
        needs[name] = int((weights[name] + kv) // 1048576) + int(overhead_mb)
    return needs


def cidr_union(cidrs) -> dict:
    """Parse CIDRs and add them up: {'invalid': [...], 'v4': n, 'v6': n, 'world': [...] } (counts are addresses)."""
    invalid, networks = [], {4: [], 6: []}
    for cidr in cidrs or []:
        try:
            net = ipaddress.ip_network(str(cidr).strip(), strict=False)
        except ValueError:
            invalid.append(str(cidr))
            continue
        networks[net.version].append(net)
    sizes = {v: sum(n.num_addresses for n in ipaddress.collapse_addresses(nets)) for v, nets in networks.items()}
    world = [f"every IPv{v} address" for v, bits in ((4, 32), (6, 128)) if sizes[v] == 2**bits]
    return {"invalid": invalid, "v4": sizes[4], "v6": sizes[6], "world": world}


def _check(spec: Mapping) -> tuple[str, str]:
    """(problem, warning) for one input; each is one sentence or ''."""
    var, value, kind = spec["var"], spec.get("value"), spec["kind"]
    head = f"{var} (value hidden)" if spec.get("secret") else f"{var} is {_show(value)}"
    if value is None and spec.get("optional"):
        return "", ""

    if kind == "port":
        if _port_number(value) is None:
            example = spec.get("example", 11434)
            return f"{head}, which is not a TCP port; write a number from 1 to 65535, for example {example}.", ""
        return "", ""

    if kind == "int":
        number = _integer(value)
        low, high = spec.get("min"), spec.get("max")
        if number is None or (low is not None and number < low) or (high is not None and number > high):
            span = {(True, True): f"from {low} to {high}", (True, False): f"of at least {low}",
                    (False, True): f"of at most {high}"}[(low is not None, high is not None)]
            return f"{head}, which is not a whole number {span}; {spec.get('hint', 'write one')}.", ""
        return "", ""

    if kind == "number":
        number = _number(value)
        low, above, high = spec.get("min"), spec.get("above"), spec.get("max")
        bad = (number is None or (low is not None and number < low) or (above is not None and number <= above)
               or (high is not None and number > high))
        if bad:
            span = " and ".join(part for part in (
                f"at least {low}" if low is not None else "",
                f"above {above}" if above is not None else "",
                f"at most {high}" if high is not None else "") if part)
            return f"{head}, which is not a number {span}; {spec.get('hint', 'write one')}.", ""
        warn_above = spec.get("warn_above")
        if warn_above is not None and number > warn_above:
            return "", f"{var} is {value}, above {warn_above}: {spec.get('warning', 'check that this is meant')}."
        return "", ""

    if kind == "ollama_duration":
        if ollama_duration_seconds(value) is None:
            return (f"{head}, which Ollama cannot read as a duration; write -1 (keep loaded forever), 0 (unload at once), "
                    "whole seconds such as 300, or a duration such as 5m or 24h."), ""
        return "", ""

    if kind == "abs_path":
        text = str(value)
        # "/" itself only where asked: a role that owns its directory must not own the whole disk.
        if not text.startswith("/") or "\n" in text or (text.rstrip("/") == "" and not spec.get("allow_root")):
            example = spec.get("example", "/opt/app")
            return f"{head}, which is not an absolute path; write one that starts with /, such as {example}.", ""
        return "", ""

    if kind == "abs_paths":
        bad = [str(p) for p in (value if isinstance(value, list) else [value])
               if _check({"var": var, "value": p, "kind": "abs_path", "allow_root": True})[0]]
        if bad:
            return (f"{var} holds {', '.join(map(repr, bad))}, which {_be(bad, 'an absolute path')}; "
                    f"write paths that start with /, such as {spec.get('example', '/')}.", "")
        return "", ""

    if kind == "optional_abs_path":
        if str(value) == "":
            return "", ""
        return _check({**spec, "kind": "abs_path"})

    if kind == "ip_on_host":
        text = str(value).strip("[]")
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            return (f"{head}, which is not an IP address; write one of this host's addresses "
                    f"({', '.join(spec.get('addresses') or []) or 'none found'}) or 127.0.0.1, not a host name.", "")
        if address.is_unspecified or address.is_loopback or text in (spec.get("addresses") or []):
            return "", ""
        return (f"{head}, which is not an address of this host, so Ollama could not listen on it; write one of "
                f"{', '.join(spec.get('addresses') or []) or 'its addresses'} or 127.0.0.1."), ""

    if kind == "url":
        match = _URL.fullmatch(str(value))
        schemes = spec.get("schemes", ["http", "https"])
        if not match or match["scheme"] not in schemes or (match["port"] and _port_number(match["port"]) is None):
            example = spec.get("example", "https://example.com")
            return f"{head}, which is not a {' or '.join(schemes)} URL; write one such as {example}.", ""
        return "", ""

    if kind == "optional_url":
        return ("", "") if str(value) == "" else _check({**spec, "kind": "url"})

    if kind == "addresses":
        union = cidr_union(value)
        if union["invalid"]:
            return (f"{var} holds {', '.join(map(repr, union['invalid']))}, which "
                    f"{'is not an IP address or CIDR' if len(union['invalid']) == 1 else 'are not IP addresses or CIDRs'}; "
                    "write addresses such as 10.0.1.15 or ranges such as 10.0.1.0/24.", "")
        if union["world"] and not _flag(spec.get("allow_world", False)):
            return (f"{var} admits {' and '.join(union['world'])} ({', '.join(map(str, value))}); "
                    f"{spec.get('hint', 'list only the clients that need access')}.", "")
        return "", ""

    if kind == "account":
        if not _ACCOUNT.fullmatch(str(value)):
            example = spec.get("example", "ollama")
            return f"{head}, which is not a user or group name; write lower-case letters, digits, _ or -, such as {example}.", ""
        return "", ""

    if kind == "env":
        if not isinstance(value, Mapping):
            return f"{head}, which is not a mapping; write NAME: value pairs.", ""
        bad = [k for k in value if not _ENV_NAME.fullmatch(str(k))]
        multi = [k for k, v in value.items() if "\n" in str(v) or "\r" in str(v)]
        reserved = [k for k in value if k in (spec.get("reserved") or {})]
        if bad:
            return (f"{var} has {', '.join(map(repr, bad))}, which {_be(bad, 'an environment name')}; "
                    "write names of letters, digits and _.", "")
        if multi:
            return f"{var} sets {', '.join(multi)} to a value of several lines; an environment value must be one line.", ""
        if reserved:
            return (f"{var} sets {', '.join(reserved)}, which this role sets itself; use "
                    f"{', '.join(spec['reserved'][k] for k in reserved)} instead."), ""
        return "", ""

    if kind == "models":
        names = value if isinstance(value, list) else [value]
        if spec.get("non_empty") and not names:
            return f"{var} is empty; list at least one model, such as {spec.get('example', 'gemma3:4b')}.", ""
        bad = [str(n) for n in names if model_name_problem(n)]
        if bad:
            return (f"{var} holds {', '.join(map(repr, bad))}, which {_be(bad, 'a model reference')}; "
                    f"write name:tag such as {spec.get('example', 'gemma3:4b')} (or namespace/name:tag).", "")
        # A cloud model answers through the brain but runs on ollama.com: prompts leave the host.
        cloud = [str(n) for n in names if ollama_api.is_cloud_model(n)]
        if cloud and not _flag(spec.get("allow_cloud", False)):
            return (f"{var} holds {', '.join(map(repr, cloud))}, which "
                    f"{'runs' if len(cloud) == 1 else 'run'} on ollama.com, so prompts would leave the brain; "
                    f"list models that run on the brain, or set {spec.get('allow_var', 'ollama_brain_allow_cloud_models')}: "
                    "true to accept that.", "")
        if "within" in spec:
            known = {ollama_api.normalize_model_name(n) for n in spec["within"] or [] if not model_name_problem(n)}
            outside = [str(n) for n in names if ollama_api.normalize_model_name(n) not in known]
            if outside:
                return (f"{var} holds {', '.join(map(repr, outside))}, which {spec['within_var']} does not list, "
                        f"so {'it' if len(outside) == 1 else 'they'} would never be pulled; add "
                        f"{'it' if len(outside) == 1 else 'them'} to {spec['within_var']} or remove "
                        f"{'it' if len(outside) == 1 else 'them'} from {var}.", "")
        return "", ""

    if kind == "image":
        match = _IMAGE.fullmatch(str(value))
        if not match or not (match["tag"] or match["digest"]):
            return (f"{head}, which is not an image reference with a tag or digest; write registry/name:tag, "
                    f"such as {spec.get('example', 'registry.example.com/team/app:1.2.3')}.", "")
        return "", ""

    if kind == "registry":
        match = re.fullmatch(rf"{_HOST_NAME}(?::(\d+))?", str(value))
        if not match or (match[1] and _port_number(match[1]) is None):
            return f"{head}, which is not a registry host; write host or host:port, such as ghcr.io or 10.0.1.9:5000.", ""
        return "", ""

    if kind == "host_port":
        if str(value) == "" and spec.get("optional"):
            return "", ""
        host, sep, port = str(value).rpartition(":")
        host_ok = bool(re.fullmatch(rf"\[[0-9A-Fa-f:]+\]|{_HOST_NAME}", host))
        if not (sep and host_ok and _port_number(port) is not None):
            return (f"{head}, which is not a host:port with a port from 1 to 65535; "
                    f"write one such as {spec.get('example', '127.0.0.1:8125')}.", "")
        return "", ""

    if kind == "container_name":
        if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", str(value)):
            return (f"{head}, which Docker does not take as a container name; write letters, digits, _, . or -, "
                    "such as talent-api.", "")
        return "", ""

    if kind == "published_ports":
        bad = [str(item) for item in (value if isinstance(value, list) else [value]) if published_port(item) is None]
        if bad:
            return (f"{var} holds {', '.join(map(repr, bad))}, which {_be(bad, 'a port mapping')}; "
                    "write host:container such as 8000:8000, with ports from 1 to 65535.", "")
        return "", ""

    if kind == "pattern":
        if (str(value) == "" and spec.get("optional")) or re.fullmatch(spec["regex"], str(value)):
            return "", ""
        return f"{head}, which is not {spec['what']}; write one such as {spec['example']}.", ""

    if kind == "text":
        text = "" if value is None else str(value)
        if text == "" and not spec.get("optional"):
            return f"{var} is empty; {spec.get('hint', 'write a value')}.", ""
        if spec.get("one_line", True) and ("\n" in text or "\r" in text):
            return f"{head}, which spans several lines; write it on one line.", ""
        return "", ""

    if kind == "texts":
        items = value if isinstance(value, list) else [value]
        bad = [str(i) for i in items if _check({**spec, "var": var, "value": i, "kind": "text"})[0]]
        if bad or (spec.get("non_empty") and not items):
            return f"{var} must list non-empty one-line strings; {spec.get('hint', 'write one per item')}.", ""
        return "", ""

    if kind == "mapping":
        if not isinstance(value, Mapping):
            return f"{head}, which is not a mapping; write name: value pairs, such as {spec.get('example', '{}')}.", ""
        return "", ""

    if kind == "same_as":
        # A value another role or host must hold too: {other variable: {where: its value}}.
        number = _integer(value) if spec.get("as_int") else value
        differ = [(other, where, seen) for other, places in (spec.get("others") or {}).items()
                  for where, seen in sorted(places.items())
                  if (_integer(seen) if spec.get("as_int") else seen) != number]
        if differ:
            listed = "; ".join(f"{other} is {_show(seen)} on {where}" for other, where, seen in differ)
            return (f"{head}, but {listed}; {spec.get('hint', 'set them to the same value')}.", "")
        return "", ""

    if kind == "distinct":
        # A port (or other value) that must differ from others on the same host: {other variable: its value}.
        clash = [other for other, seen in sorted((spec.get("others") or {}).items()) if _integer(seen) == _integer(value)]
        if clash:
            return f"{head}, as {' and '.join(clash)} {'is' if len(clash) == 1 else 'are'}; {spec['hint']}.", ""
        return "", ""

    if kind == "url_paths":
        # Paths a proxy matches exactly (HAProxy's `path`): no query, no spaces, nothing its config would split on.
        routes = value if isinstance(value, Mapping) else {"": value}
        methods = spec.get("methods")
        bad_methods = [str(m) for m in routes if isinstance(value, Mapping) and methods is not None and m not in methods]
        bad = [str(p) for paths in routes.values() for p in (paths if isinstance(paths, list) else [paths])
               if not re.fullmatch(r"/[A-Za-z0-9._~/-]*", str(p))]
        if bad_methods:
            return f"{var} names {', '.join(map(repr, bad_methods))}; write methods among {', '.join(methods)}.", ""
        if bad:
            return (f"{var} holds {', '.join(map(repr, bad))}, which {_be(bad, 'a URL path')}; "
                    f"write paths such as {spec.get('example', '/api/chat')}, without query or spaces.", "")
        return "", ""

    if kind == "one_of":
        if value not in spec["choices"]:
            return f"{head}; write one of {', '.join(map(str, spec['choices']))}.", ""
        return "", ""

    raise ValueError(f"unknown input check kind {kind!r} for {var}")


def ai_stack_input_problems(specs) -> list[str]:
    """One sentence per input that must be refused."""
    return [problem for problem, _ in map(_check, specs or []) if problem]


def ai_stack_input_warnings(specs) -> list[str]:
    """One sentence per input that is allowed but unusual."""
    return [warning for _, warning in map(_check, specs or []) if warning]


class FilterModule:
    def filters(self):
        return {
            "ai_stack_input_problems": ai_stack_input_problems,
            "ai_stack_input_warnings": ai_stack_input_warnings,
            "ai_stack_cidr_union": cidr_union,
            "ai_stack_duration_seconds": ollama_duration_seconds,
            "ai_stack_brain_url": ai_stack_brain_url,
            "ai_stack_with_checksums": ai_stack_with_checksums,
            "ai_stack_lb_target": ai_stack_lb_target,
            "ai_stack_alarms_to_put": ai_stack_alarms_to_put,
            "ollama_model_ref": ollama_model_ref,
            "ollama_warmup_request": ollama_warmup_request,
            "ollama_models_to_warm": ollama_models_to_warm,
            "ollama_memory_needs": ollama_memory_needs,
        }
