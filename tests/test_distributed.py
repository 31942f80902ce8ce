"""Work in batches (islandcover.distributed): the batch split, the serial path, the option checks,
and one LocalCluster run against the serial answer."""
from __future__ import annotations

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
    out, runner = map_batches(_square, 3, items, workers=1, batches_per_worker=4,
                              progress=lambda d, n: seen.append((d, n)))
    assert out == [3 * x * x for x in items] and runner == "dask LocalCluster, 1 worker process"
    assert seen[-1] == (23, 23) and len(seen) == 4  # one report per batch
