"""The server-wide training slots: at most n runs train at once; the rest wait their turn."""

import threading

from aeviz.jobs import TrainingSlots

HANG = 60.0  # seconds before a wait is called a hang (a guard, not a measurement)


def test_slots_cap_concurrent_training_and_queue_the_rest():
    slots = TrainingSlots(2)
    inside, peak, lock = 0, 0, threading.Lock()
    entered, release = threading.Semaphore(0), threading.Event()

    def train():
        nonlocal inside, peak
        with slots.hold():
            with lock:
                inside += 1
                peak = max(peak, inside)
            entered.release()
            release.wait(HANG)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=train) for _ in range(5)]
    for t in threads:
        t.start()
    assert entered.acquire(timeout=HANG) and entered.acquire(timeout=HANG)
    assert slots.wait_for_waiters(3, HANG)
    assert slots.full() and inside == 2 and not entered.acquire(blocking=False)  # two train, three wait
    release.set()
    for t in threads:
        t.join(HANG)
    assert peak == 2 and slots.busy == 0 and not slots.full() and slots.waiters() == 0
