import time


def handler(event, context):
    """Spins for event["seconds"] of wall time; returns the share of a core it got meanwhile."""
    wall0, cpu0 = time.monotonic(), time.process_time()
    while time.monotonic() - wall0 < event.get("seconds", 0):
        pass
    wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    return {"wall_s": wall, "cpu_s": cpu, "share": cpu / wall if wall else 0}
