"""What the PyTorch benchmark scripts share: rlft-bench's timing rule and its JSON-line output."""
import json
import resource
import statistics
import time


def median_seconds(body, repeats, warmup):
    """Runs `body` `warmup` times, then `repeats` times, and returns the median duration in seconds."""
    for _ in range(warmup):
        body()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        body()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def emit(**fields):
    """Prints one JSON object, keys sorted, floats to 3 decimals, with the process's peak RSS in bytes."""
    fields["peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in sorted(fields.items())}), flush=True)
