#!/usr/bin/env bash
# Builds the stand-in amazon-cloudwatch-agent .deb into OUTDIR (see README.md).
set -euo pipefail
out=${1:?usage: build_deb.sh OUTDIR}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/pkg
base=$root/opt/aws/amazon-cloudwatch-agent
mkdir -p "$root/DEBIAN" "$base/bin" "$base/etc/amazon-cloudwatch-agent.d" "$base/logs" "$root/etc/systemd/system"

cat >"$root/DEBIAN/control" <<'CONTROL'
Package: amazon-cloudwatch-agent
Version: 1.300057.0-lab1
Architecture: all
Maintainer: AI stack lab <lab@localhost>
Depends: python3
Description: Stand-in for Amazon CloudWatch Agent (lab only; publishes nothing)
CONTROL

cat >"$base/bin/amazon-cloudwatch-agent-ctl" <<'CTL'
#!/bin/sh
# Stand-in for amazon-cloudwatch-agent-ctl: fetch-config, start, stop, status.
set -eu
base=/opt/aws/amazon-cloudwatch-agent
action="" config="" start=false
while [ $# -gt 0 ]; do
  case "$1" in
    -a) action=$2; shift 2 ;;
    -m) shift 2 ;;
    -c) config=${2#file:}; shift 2 ;;
    -s) start=true; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$action" in
  fetch-config)
    python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); assert "metrics" in c, "no metrics section"' "$config" \
      || { echo "E! invalid configuration $config" >&2; exit 1; }
    rm -f "$base"/etc/amazon-cloudwatch-agent.d/file_*
    cp "$config" "$base/etc/amazon-cloudwatch-agent.d/file_$(basename "$config")"
    if $start; then systemctl restart amazon-cloudwatch-agent.service; fi ;;
  start) systemctl start amazon-cloudwatch-agent.service ;;
  stop) systemctl stop amazon-cloudwatch-agent.service ;;
  status)
    if systemctl is-active --quiet amazon-cloudwatch-agent.service; then s=running; else s=stopped; fi
    printf '{"status": "%s", "configstatus": "%s", "version": "1.300057.0-lab1"}\n' "$s" \
      "$(ls "$base"/etc/amazon-cloudwatch-agent.d/file_* >/dev/null 2>&1 && echo configured || echo not configured)" ;;
  *) echo "usage: amazon-cloudwatch-agent-ctl -a fetch-config|start|stop|status [-m ec2] [-c file:PATH] [-s]" >&2; exit 2 ;;
esac
CTL

cat >"$base/bin/amazon-cloudwatch-agent" <<'AGENT'
#!/usr/bin/env python3
"""Stand-in agent: logs what the installed configuration would publish, then idles."""
import glob
import json
import signal
import socket
import sys
import time

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
base = "/opt/aws/amazon-cloudwatch-agent"
statsd = None
with open(base + "/logs/amazon-cloudwatch-agent.log", "a") as log:
    for path in glob.glob(base + "/etc/amazon-cloudwatch-agent.d/file_*"):
        metrics = json.load(open(path)).get("metrics", {})
        for section, spec in metrics.get("metrics_collected", {}).items():
            names = [m if isinstance(m, str) else m.get("name") for m in
                     (spec.get("measurement", []) if isinstance(spec, dict) else
                      [x for p in spec for x in p.get("measurement", [])])]
            log.write("I! would publish %s/%s: %s\n" % (metrics.get("namespace", "CWAgent"), section, ", ".join(names)))
            if section == "statsd":
                statsd = spec.get("service_address", ":8125")
    log.flush()
    if statsd:
        # As the real agent: StatsD over UDP; each datagram is logged as it would be published.
        host, _, port = statsd.rpartition(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((host or "0.0.0.0", int(port)))
        while True:
            data = sock.recv(4096)
            log.write("I! statsd %s\n" % data.decode(errors="replace").strip())
            log.flush()
while True:
    time.sleep(3600)
AGENT
chmod 0755 "$base/bin/"*

cat >"$root/etc/systemd/system/amazon-cloudwatch-agent.service" <<'UNIT'
[Unit]
Description=Amazon CloudWatch Agent (lab stand-in)
After=network-online.target

[Service]
Type=simple
ExecStart=/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT

mkdir -p "$out"
SOURCE_DATE_EPOCH=1700000000 dpkg-deb --root-owner-group -Zxz --build "$root" "$out/amazon-cloudwatch-agent.deb" >/dev/null
(cd "$out" && sha256sum amazon-cloudwatch-agent.deb >amazon-cloudwatch-agent.deb.sha256)
