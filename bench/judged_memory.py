"""
Bench figure 6's judged function: the gate's judging, with the peak of the memory its budget
counts. A module of its own: the judge process imports a judged function from its module,
and gate_worker runs as __main__, which the judge cannot import.
"""

import threading

from portfolio.images import gate

MEMORY_SAMPLE_SECONDS = 0.002
MEMORY_KEY = "bench_judging_memory"


def judge_measuring_memory(*arguments):
    """In the child: the gate's judging (its arguments as given), with the peak of the memory its
    budget counts."""
    threading.stack_size(256 * 1024)  # The sampler's stack counts in VmData too.
    peak = {"data": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(MEMORY_SAMPLE_SECONDS):
            peak["data"] = max(peak["data"], memory_status()["VmData"])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = memory_status()
    try:
        name, metadata, derivatives = gate._judge(*arguments)
    finally:
        done.set()
        sampler.join()
    end = memory_status()
    peak_data = max(peak["data"], end["VmData"])
    # Back with what the gate found, under a key of the bench's own (MEMORY_KEY).
    metadata[MEMORY_KEY] = {
        "data_bytes": peak_data - start["VmData"],
        "rss_bytes": end["VmHWM"] - start["VmRSS"],
    }
    return name, metadata, derivatives


def memory_status() -> dict[str, int]:
    """VmData, VmRSS and VmHWM of this process, in bytes."""
    values = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, rest = line.partition(":")
            if key in ("VmData", "VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0]) * 1024
    return values
