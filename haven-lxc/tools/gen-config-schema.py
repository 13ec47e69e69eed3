#!/usr/bin/env python3
"""Extracts the container config options (types, formats, ranges, defaults; no descriptions) from PVE's API
schema into haven-lxc's resource lxc-config.json. Usage: gen-config-schema.py <pve-api.json> <out>"""
import json, sys

SKIP = {"node", "vmid", "digest", "delete", "revert"}
DROP = {"description", "verbose_description", "format_description", "typetext"}

def strip(s):
    if isinstance(s, dict):
        return {k: strip(v) for k, v in s.items() if k not in DROP or (k == "description" and isinstance(v, dict))}
    if isinstance(s, list):
        return [strip(x) for x in s]
    if isinstance(s, str):
        # Perl regex syntax that java.util.regex does not know
        return s.replace("(?^:", "(?:").replace("{,", "{0,")
    return s

api = json.load(open(sys.argv[1]))
def walk(n):
    yield n
    for c in n.get("children", []):
        yield from walk(c)
node = next(n for n in walk({"children": api}) if n.get("path") == "/nodes/{node}/lxc/{vmid}/config")
props = node["info"]["PUT"]["parameters"]["properties"]
out = {k: strip(v) for k, v in sorted(props.items()) if k not in SKIP}
# LXC's ip/ip6 also take "manual": its own format names, apart from the VM's
for fmt in ("ipv4", "ipv6"):
    out["net[n]"]["format"]["ip" if fmt == "ipv4" else "ip6"]["format"] = "pve-lxc-%s-config" % fmt
out["description"] = {"type": "string", "optional": 1, "maxLength": 8192}
json.dump(out, open(sys.argv[2], "w"), indent=1, sort_keys=True)
open(sys.argv[2], "a").write("\n")
