"""Benchmark workload: python3 with numpy and a small model, answering one request per line."""
import hashlib
import sys

import numpy as np

rng = np.random.default_rng(1)
model = rng.standard_normal((512, 512))
print("ready", flush=True)
for line in sys.stdin:
    x = np.full(512, float(len(line)))
    y = np.tanh(model @ x / 512.0)
    print("result", hashlib.sha256(y.tobytes()).hexdigest()[:16], flush=True)
