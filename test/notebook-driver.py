"""Drive a tslab kernel cell by cell, as Jupyter does, for the notebook tests.

Reads {"cells": [...], "cwd": DIR, "end": "shutdown" | "kill"} on stdin;
starts the kernel named tslab (found through JUPYTER_PATH), executes each
cell, waits for its reply, and prints one JSON list: per cell its status
(ok / error / abort), stdout, stderr and display data. "kill" ends the kernel
with SIGKILL, as a crashed or force-restarted kernel ends: nothing of it runs
afterwards. Needs Debian's python3 with jupyter_client.
"""
import json
import os
import signal
import sys
import time

from jupyter_client.manager import start_new_kernel

spec = json.load(sys.stdin)
# Killed by a test's timeout (SIGTERM): still end the kernel (the finally below), never leave it running.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
km, kc = start_new_kernel(kernel_name="tslab", cwd=spec["cwd"], startup_timeout=120)
results = []
try:
    for src in spec["cells"]:
        msg_id = kc.execute(src)
        out = {"status": None, "stdout": "", "stderr": "", "data": []}
        while True:
            m = kc.get_iopub_msg(timeout=300)
            if m["parent_header"].get("msg_id") != msg_id:
                continue
            t, c = m["msg_type"], m["content"]
            if t == "stream":
                out[c["name"]] += c["text"]
            elif t in ("display_data", "execute_result", "update_display_data"):
                out["data"].append(c["data"])
            elif t == "status" and c["execution_state"] == "idle":
                break
        while True:
            reply = kc.get_shell_msg(timeout=300)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        out["status"] = reply["content"]["status"]
        results.append(out)
        if out["status"] != "ok":
            # tslab drops what arrives in the 200 ms after a failed cell.
            time.sleep(0.5)
finally:
    kc.stop_channels()
    if spec.get("end") == "kill":
        pid = km.provisioner.pid
        os.kill(pid, signal.SIGKILL)
        while km.is_alive():
            time.sleep(0.05)
        km.cleanup_resources()
    else:
        km.shutdown_kernel(now=False)
print(json.dumps(results))
