"""The server-wide training slots: at most n runs train at once; the rest wait their turn."""

import threading
import time

from aeviz.jobs import TrainingSlots


def test_slots_cap_concurrent_training_and_queue_the_rest():
    slots = TrainingSlots(2)
    inside, peak, lock = 0, 0, threading.Lock()
    release = threading.Event()

    def train():
        nonlocal inside, peak
        with slots.hold():
            with lock:
                inside += 1
                peak = max(peak, inside)
            release.wait(5)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=train) for _ in range(5)]
    for t in threads:
        t.start()
    deadline = time.time() + 5
    while slots.busy < 2 and time.time() < deadline:
        time.sleep(0.01)
    assert slots.full() and inside == 2  # two train, three wait
    release.set()
    for t in threads:
        t.join(5)
    assert peak == 2 and slots.busy == 0 and not slots.full()
