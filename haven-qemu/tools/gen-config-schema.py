#!/usr/bin/env python3
"""Extracts the VM config options (types, formats, ranges, defaults; no descriptions) from PVE's API
schema into haven-qemu's resource qemu-config.json. Usage: gen-config-schema.py <pve-api.json> <out>"""
import json, sys

SKIP = {"node", "vmid", "digest", "delete", "revert", "force", "skiplock", "background_delay",
        "import-working-storage"}
DROP = {"description", "verbose_description", "format_description"}

def strip(s):
    if isinstance(s, dict):
        out = {}
        for k, v in s.items():
            if k in DROP and not (k == "description" and isinstance(v, dict)):
                continue
            out[k] = strip(v)
        return out
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
node = next(n for n in walk({"children": api}) if n.get("path") == "/nodes/{node}/qemu/{vmid}/config")
props = node["info"]["POST"]["parameters"]["properties"]
out = {k: strip(v) for k, v in sorted(props.items()) if k not in SKIP}
# 'description' is a real config option (kept); its own text is dropped
out["description"] = {"type": "string", "optional": 1, "maxLength": 8192}
json.dump(out, open(sys.argv[2], "w"), indent=1, sort_keys=True)
open(sys.argv[2], "a").write("\n")
