"""A model being loaded shows in /admin/memory's `loading` until it is in `models`: core counts it as
loaded, so its files are not deleted while they are being read."""

from __future__ import annotations

import threading
import time


def test_memory_status_names_a_model_while_it_loads(make_sidecar, starter_repo):
    sc = make_sidecar()
    idle = sc.client.get("/admin/memory").json()
    assert idle["loading"] == [] and idle["models"] == []

    done = threading.Event()
    result = {}

    def load():
        result["response"] = sc.client.post("/admin/models/load", json={"model": starter_repo})
        done.set()

    threading.Thread(target=load, daemon=True).start()
    seen = []
    while not done.is_set():
        status = sc.client.get("/admin/memory").json()
        seen.append((tuple(status["loading"]), tuple(m["id"] for m in status["models"])))
        time.sleep(0.005)
    assert result["response"].status_code == 200, result["response"].text
    # Named as loading (and not yet loaded) while the load ran, then loaded and no longer loading.
    assert ((starter_repo,), ()) in seen
    after = sc.client.get("/admin/memory").json()
    assert after["loading"] == [] and [m["id"] for m in after["models"]] == [starter_repo]
