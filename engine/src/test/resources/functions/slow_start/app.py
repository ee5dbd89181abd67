# Slow on its first calls and faster with each, like code a JIT has not compiled yet: the deploy's
# warm-up must go on until it is fast (EngineTest.warmUpGoesOnUntilTheFunctionStopsGettingFaster).
import time

CALLS = 0


def handler(event, context):
    global CALLS
    CALLS += 1
    if CALLS <= 4:
        time.sleep(0.2 / CALLS)
    return {"calls": CALLS, "slow": CALLS <= 4}
