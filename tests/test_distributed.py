"""Work in batches (islandcover.distributed): the batch split, the serial path, the option checks,
and one LocalCluster run against the serial answer."""
from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from islandcover.distributed import batches, check_cluster, map_batches
from islandcover.errors import ClusterError, IslandcoverError


def _square(factor: int, batch: list[int]) -> list[int]:
    return [factor * x * x for x in batch]


@given(st.integers(1, 500), st.integers(1, 50))
def test_batches_cover_every_item_once_in_order_and_near_equal(n, k):
    got = batches(n, k)
    assert len(got) == min(n, k)
    assert [i for first, count in got for i in range(first, first + count)] == list(range(n))
    counts = [c for _, c in got]
    assert max(counts) - min(counts) <= 1 and min(counts) >= 1


def test_serial_results_keep_the_order_and_report_progress():
    seen = []
    out, runner = map_batches(_square, 10, [1, 2, 3], workers=0, progress=lambda d, n: seen.append((d, n)))
    assert out == [10, 40, 90] and runner == "serial"
    assert seen == [(1, 3), (2, 3), (3, 3)]


@pytest.mark.parametrize("workers, scheduler, word", [
    (-1, None, "workers"), (True, None, "workers"), (1.5, None, "workers"),
    (None, "localhost", "scheduler"), (None, "tcp://host:99999", "scheduler"), (None, "tcp://host:0", "scheduler")])
def test_bad_cluster_options_are_refused_before_any_work(workers, scheduler, word):
    with pytest.raises(ClusterError, match=word) as exc:
        check_cluster(workers, scheduler)
    assert isinstance(exc.value, IslandcoverError) and isinstance(exc.value, ValueError)
    with pytest.raises(ClusterError, match=word):
        map_batches(_square, 1, [1], workers=workers if workers is not None else 0, scheduler=scheduler)


@pytest.mark.parametrize("address", ["tcp://10.0.0.5:8786", "tcp://[::1]:8786", "tls://sched.example.org:8786"])
def test_good_addresses_pass(address):
    check_cluster(None, address)


def test_no_scheduler_at_the_address_is_an_error_naming_it():
    pytest.importorskip("distributed")
    with pytest.raises(ClusterError, match="127.0.0.1:9"):
        map_batches(_square, 1, [1], scheduler="tcp://127.0.0.1:9", connect_timeout_s=2)


def test_a_local_cluster_gives_the_serial_answer_in_order():
    pytest.importorskip("distributed")
    items = list(range(23))
    seen = []
    out, runner = map_batches(_square, 3, items, workers=1, batches_per_worker=4, head_start=False,
                              progress=lambda d, n: seen.append((d, n)))
    assert out == [3 * x * x for x in items] and runner == "dask LocalCluster, 1 worker process"
    assert seen[-1] == (23, 23) and len(seen) == 4  # one report per batch


class _Counter:
    """A shared object that counts the items run with it (the workers get the count so far); items
    take 0.2 s in the process that made it (so the cluster is up before they are all done), none
    on the workers."""

    def __init__(self) -> None:
        self.here = 0
        self.slow = True

    def __getstate__(self) -> dict:
        return {**self.__dict__, "slow": False}


def _tagged(shared: _Counter, batch: list[int]) -> list[tuple[int, int]]:
    out = [(x, shared.here) for x in batch]
    shared.here += len(batch)
    if shared.slow:
        time.sleep(0.2 * len(batch))
    return out


def test_the_head_start_runs_the_first_items_here_and_sends_what_it_kept():
    pytest.importorskip("distributed")
    items = list(range(400))
    shared = _Counter()
    seen = []
    out, _ = map_batches(_tagged, shared, items, workers=1, batches_per_worker=2,
                         progress=lambda d, n: seen.append((d, n)))
    assert [x for x, _ in out] == items  # in order, each once
    k = shared.here  # items run in this process while the cluster started: the first k
    assert 1 <= k < 400
    assert [tag for _, tag in out[:k]] == list(range(k))
    # the workers' copy left this process after the head start: it carries the count, k
    assert all(tag >= k for _, tag in out[k:])
    assert seen[:k] == [(j + 1, 400) for j in range(k)] and seen[-1] == (400, 400)
