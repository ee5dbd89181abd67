import random
import time

instance_id = None


def handler(event, context):
    """Returns a random number, and an id drawn on this instance's first invocation after start."""
    global instance_id
    if instance_id is None or event.get("new_id"):
        instance_id = random.getrandbits(64)
    time.sleep(event.get("hold", 0))
    return {"random": random.random(), "instance": instance_id}
