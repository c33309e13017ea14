"""Running measuring batches on a dask cluster: one client per scheduler (or a local
cluster mapdiff starts), the run's context scattered once, a bounded number of batches in
flight per worker. :func:`mapdiff.history._engine.run` hands batches here with ``backend="dask"``."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle

from .. import config
from ..errors import ArgumentError, MissingDependencyError, quote

_CLIENTS: dict = {}  # one dask client per scheduler address (or "local"): connections, not a cache
_DASK_IN_FLIGHT = 2  # batches given to each worker at a time: one running, one waiting
# (client id, context digest) -> the context on that client's workers
_SCATTERED: dict = config.register_cache({})


def dask_client(scheduler: str | None = None, *, workers: int | None = None):
    """The dask.distributed client runs use: made once per process and scheduler, then reused.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). Without it: the active
        client if there is one, else a LocalCluster of ``workers`` processes (default: the
        cores), started on first use and closed when the process exits.
    workers : int, optional
        Worker processes of the LocalCluster.

    Returns
    -------
    distributed.Client

    Examples
    --------
    >>> import mapdiff
    >>> client = mapdiff.history.dask_client("tcp://scheduler:8786")  # doctest: +SKIP
    >>> s = mapdiff.Releases(mapdiff.sample_paths(), cache=False)
    >>> sh = s.shares(["Pokrovsk"], "RU", backend="dask", client=client)  # doctest: +SKIP
    """
    try:
        from distributed import Client, get_client
    except ImportError:
        raise MissingDependencyError(
            "backend='dask' needs dask.distributed: pip install 'mapdiff[dask]'"
        ) from None
    key = scheduler or f"local:{workers or os.cpu_count() or 1}"
    client = _CLIENTS.get(key)
    if client is not None and client.status == "running":
        return client
    if scheduler is not None:
        client = _connect(Client, scheduler)
    else:
        try:
            return get_client()
        except ValueError:
            client = Client(local_cluster(workers or os.cpu_count() or 1))
            import atexit

            atexit.register(_close, client)
    _CLIENTS[key] = client
    return client


def _connect(Client, scheduler: str, deadline_s: float | None = None):
    """``Client(scheduler)`` within a deadline: a peer that accepts the connection but
    never completes dask's handshake hung the run forever (the client's own ``timeout``
    does not cover the handshake). The connection is made in a daemon thread; past the
    deadline (``MAPDIFF_SCHEDULER_TIMEOUT``, default 30 s) the run stops with a clear error."""
    import threading

    deadline = deadline_s or config.setting("MAPDIFF_SCHEDULER_TIMEOUT")
    box: dict = {}

    def connect():
        try:
            box["client"] = Client(scheduler, timeout=deadline)
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    t = threading.Thread(target=connect, name="mapdiff-scheduler-connect", daemon=True)
    t.start()
    t.join(deadline)
    if "client" in box:
        return box["client"]
    why = type(box["error"]).__name__ if "error" in box else f"no answer within {deadline:g} s"
    raise ArgumentError(
        f"--scheduler {quote(scheduler)}: cannot connect to a dask scheduler there ({why}); "
        "check the address (tcp://host:8786) and that the scheduler is running, or set "
        "MAPDIFF_SCHEDULER_TIMEOUT"
    )


def local_cluster(workers: int):
    """The LocalCluster mapdiff starts: one process per worker, one thread each (the work is
    GEOS-bound and holds the GIL in places), no dashboard, and so no statistical profiler
    either: it samples the running task every 10 ms for the dashboard, ~5% of a worker's
    time on this work. Its workers keep glibc's own malloc trimming: dask sets
    ``MALLOC_TRIM_THRESHOLD_=65536`` in its workers (to hand memory back to the system
    sooner), which makes this work, thousands of small arrays and geometries per release,
    about 15% slower than in a plain process."""
    import dask
    from distributed import LocalCluster

    environ = {
        k: v
        for k, v in (dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {}).items()
        if k != "MALLOC_TRIM_THRESHOLD_"
    }
    settings = {"distributed.worker.profile.enabled": False, "distributed.nanny.pre-spawn-environ": environ}
    with dask.config.set(settings):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)


def _close(client) -> None:
    cluster = getattr(client, "cluster", None)
    with contextlib.suppress(Exception):
        client.close()
        if cluster is not None:
            cluster.close()


def dask_workers(client) -> list:
    """Addresses of every worker of ``client``'s scheduler (some versions list 5 by default)."""
    try:
        info = client.scheduler_info(n_workers=-1)
    except TypeError:  # a version without the argument lists them all
        info = client.scheduler_info()
    return sorted(info.get("workers", ()))


def run_dask(fn, ctx, batches, client, done, where=()) -> None:
    """Run the batches on the workers, pulled as they free up: each worker is given two
    batches to start with (one running, one waiting, so it never idles), and the next batch
    whenever one of its own completes, as a local pool hands them out. The context is sent
    to the workers once per client (reused by every later call with the same places)."""
    from distributed import as_completed

    ctx_f = _scattered(client, ctx)
    queue = iter(enumerate(batches))
    index: dict = {}

    def submit(worker):
        nxt = next(queue, None)
        if nxt is None:
            return None
        i, batch = nxt
        f = client.submit(
            _on_worker,
            fn,
            ctx_f,
            batch,
            pure=False,
            workers=None if worker is None else [worker],
            allow_other_workers=True,  # a worker that leaves does not strand its batches
        )
        index[f.key] = i
        return f

    # no worker yet (an adaptive cluster scaling up from none): everything at once
    slots = [w for _ in range(_DASK_IN_FLIGHT) for w in where] or [None] * len(batches)
    first = [submit(w) for w in slots]
    running = as_completed([f for f in first if f is not None], with_results=True)
    for f, (worker, res) in running:
        done(index.pop(f.key), pickle.loads(res))
        nxt = submit(worker)
        if nxt is not None:
            running.add(nxt)


def _on_worker(fn, ctx, batch):
    """``fn(ctx, batch)`` on a dask worker, with the worker's address (its next batch goes
    there). The results travel as one pickle: dask would send each of their arrays as a
    frame of its own (hundreds per batch), which costs more than measuring them."""
    from distributed import get_worker

    return get_worker().address, pickle.dumps(fn(ctx, batch), protocol=pickle.HIGHEST_PROTOCOL)


def _scattered(client, ctx):
    """``ctx`` on every worker of ``client``: scattered on first use, then the same future
    (keyed by the context's content, so a later call with the same places sends nothing)."""
    key = (client.id, hashlib.sha256(pickle.dumps(ctx, protocol=5)).hexdigest())
    fut = _SCATTERED.get(key)
    if fut is None or fut.status != "finished":
        if len(_SCATTERED) >= 8:  # keep the last few contexts alive on the cluster
            with contextlib.suppress(Exception):  # its client may be gone
                _SCATTERED.pop(next(iter(_SCATTERED))).release()
        fut = _SCATTERED[key] = client.scatter(ctx, broadcast=True)
    return fut
