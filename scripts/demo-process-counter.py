"""The demo process: counts slowly, with some state worth keeping (numpy, a running hash)."""
import hashlib
import os
import sys
import time

os.closerange(3, 4096)          # only stdio: descriptors inherited from the shell are not ours
import numpy as np              # noqa: E402  (imported after the cleanup above)

state = np.arange(1000, dtype=np.float64)
digest = hashlib.sha256()
for count in range(1, 11):
    state = np.sqrt(state * state + count)
    digest.update(state.tobytes())
    print(f"count {count:2d}  pid {os.getpid()}  state {digest.hexdigest()[:16]}", flush=True)
    time.sleep(0.4)
print("done", flush=True)
