"""thread_pool: fans a request out to a ThreadPoolExecutor whose workers start at import, so the
snapshot holds them (blocked in their queue's futex wait) and the restored instance keeps using them."""
import concurrent.futures
import hashlib
import os
import threading

WORKERS = int(os.environ.get("POOL_WORKERS", "4"))
POOL = concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="pool")


def _started(barrier):
    barrier.wait()                      # every worker busy at once: the executor starts all of them
    return threading.get_native_id()


_barrier = threading.Barrier(WORKERS)
POOL_TIDS = sorted(set(POOL.map(lambda _: _started(_barrier), range(WORKERS))))


def _digest(text, i):
    return threading.get_native_id(), hashlib.sha256(f"{text}:{i}".encode()).hexdigest()


def handler(event, context):
    text = event.get("text", "spice") if isinstance(event, dict) else "spice"
    chunks = int(event.get("chunks", 8)) if isinstance(event, dict) else 8
    results = list(POOL.map(lambda i: _digest(text, i), range(chunks)))
    digests = [d for _, d in results]
    workers = sorted({tid for tid, _ in results})
    # Verified: the work is right, and done by the pool's own workers (those of the snapshot).
    expected = [hashlib.sha256(f"{text}:{i}".encode()).hexdigest() for i in range(chunks)]
    return {"digests": digests,
            "worker_tids": workers,
            "pool_tids": POOL_TIDS,
            "threads": threading.active_count(),
            "verified": digests == expected and set(workers) <= set(POOL_TIDS)}
