#!/usr/bin/env python3
"""VM start benchmark against a running havend (see run.sh).

1. start latency: POST /status/start until QMP reports 'running', against starting the command line
   of `qm showcmd` by hand until its QMP socket reports 'running'; ratio Haven/by-hand.
2. parallel starts: N VMs started at once through the API until all are running."""
import json, os, socket, ssl, subprocess, sys, time, urllib.parse, urllib.request, concurrent.futures, shlex, threading, http.client

url, ticket, csrf, node, rundir = sys.argv[1:6]
rounds = int(os.environ.get("ROUNDS", "5"))
parallel = int(os.environ.get("PARALLEL", "20"))
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE

parsed = urllib.parse.urlparse(url)
local = threading.local()

def api(method, path, params=None):
    """One request on this thread's keep-alive connection (as API clients keep their connections)."""
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = http.client.HTTPSConnection(parsed.hostname, parsed.port, context=ctx)
    body = urllib.parse.urlencode(params or {}) if method != "GET" else None
    headers = {"Cookie": "PVEAuthCookie=" + urllib.parse.quote(ticket, safe=""), "CSRFPreventionToken": csrf}
    if body is not None: headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, parsed.path + path, body=body, headers=headers)
        r = conn.getresponse()
    except (http.client.HTTPException, OSError):
        local.conn = None
        return api(method, path, params)
    data = r.read()
    if r.status != 200: raise SystemExit(f"{method} {path}: {r.status} {data[:200]}")
    return json.loads(data)["data"]

def wait_task(upid):
    while True:
        st = api("GET", f"/nodes/{node}/tasks/{urllib.parse.quote(upid, safe='')}/status")
        if st["status"] == "stopped":
            if st.get("exitstatus") != "OK": raise SystemExit(f"task failed: {st.get('exitstatus')}")
            return
        time.sleep(0.05)

def qmp_status(sock):
    s = socket.socket(socket.AF_UNIX); s.connect(sock); f = s.makefile("rw")
    f.readline(); f.write('{"execute":"qmp_capabilities"}\n'); f.flush(); f.readline()
    f.write('{"execute":"query-status"}\n'); f.flush()
    while True:
        m = json.loads(f.readline())
        if "return" in m: s.close(); return m["return"]["status"]

def wait_running(sock, t0):
    while True:
        try:
            if qmp_status(sock) == "running": return time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.002)

def create(vmid):
    wait_task(api("POST", f"/nodes/{node}/qemu", {"vmid": vmid, "memory": "128", "serial0": "socket", "vga": "serial0"}))

def start_api(vmid):
    t0 = time.perf_counter()
    api("POST", f"/nodes/{node}/qemu/{vmid}/status/start")
    return wait_running(f"{rundir}/qemu-server/{vmid}.qmp", t0)

def stop_api(vmid):
    wait_task(api("POST", f"/nodes/{node}/qemu/{vmid}/status/stop"))

def start_by_hand(vmid):
    cmd = api("GET", f"/nodes/{node}/qemu/{vmid}/showcmd")
    argv = shlex.split(cmd)
    sock = f"{rundir}/qemu-server/{vmid}.qmp"
    t0 = time.perf_counter()
    subprocess.run(argv, check=True)
    return wait_running(sock, t0)

def kill_by_hand(vmid):
    pid = int(open(f"{rundir}/qemu-server/{vmid}.pid").read())
    os.kill(pid, 9)
    while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2] != "Z": time.sleep(0.01)
    for ext in ("qmp", "pid", "vnc", "serial0"):
        try: os.unlink(f"{rundir}/qemu-server/{vmid}.{ext}")
        except FileNotFoundError: pass

base = 9000
create(base)
# warm-up
start_api(base); stop_api(base)
api_times, hand_times = [], []
for _ in range(rounds):
    api_times.append(start_api(base)); stop_api(base)
    hand_times.append(start_by_hand(base)); kill_by_hand(base)
api_times.sort(); hand_times.sort()
med = lambda xs: xs[len(xs) // 2]
print(f"start -> QMP running, median of {rounds}: haven API {med(api_times)*1000:.0f} ms, by hand {med(hand_times)*1000:.0f} ms, "
      f"ratio {med(api_times)/med(hand_times):.2f}")

ids = [base + 1 + i for i in range(parallel)]
with concurrent.futures.ThreadPoolExecutor(parallel) as ex:
    list(ex.map(create, ids))
    t0 = time.perf_counter()
    times = list(ex.map(start_api, ids))
    total = time.perf_counter() - t0
print(f"{parallel} VMs started in parallel: all running after {total:.2f} s (slowest {max(times):.2f} s, fastest {min(times):.2f} s)")
with concurrent.futures.ThreadPoolExecutor(parallel) as ex:
    list(ex.map(stop_api, ids))
    list(ex.map(lambda v: wait_task(api("DELETE", f"/nodes/{node}/qemu/{v}")), ids + [base]))
