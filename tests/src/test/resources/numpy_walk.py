"""A deterministic numpy computation that prints a digest after every step.

Run to the end it prints the reference output; captured and restored in the middle, the
restored interpreter must print exactly the remaining lines.
"""
import hashlib
import sys
import time

import numpy as np

steps = int(sys.argv[1])
pause = float(sys.argv[2])
rng = np.random.default_rng(20250914)
acc = np.eye(96)
print("ready", flush=True)
for step in range(steps):
    m = rng.standard_normal((96, 96))
    acc = np.tanh(acc @ m / 10.0 + m.T)
    digest = hashlib.sha256(acc.tobytes()).hexdigest()[:24]
    print(f"step {step} {digest} {float(acc.sum()):.12f}", flush=True)
    time.sleep(pause)
print("done", flush=True)
