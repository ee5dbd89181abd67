import numpy as np

# A "model" prepared at import time: part of the snapshot.
WEIGHTS = np.linspace(0.5, 1.5, 1000)


def handler(event, context):
    values = np.asarray(event.get("values", []), dtype=float)
    return {"mean": float(values.mean()) if values.size else None,
            "std": float(values.std()) if values.size else None,
            "weighted": float((WEIGHTS[: values.size] * values).sum())}
