"""The batch snapshot (ars_analysis.data.snapshot): used when valid, rebuilt when anything it depends
on changes, never touches the input files, safe under concurrent jobs."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
from pathlib import Path

import pytest

from ars_analysis import load_dataset
from ars_analysis.data import snapshot
from ars_analysis.data.dataset import subset

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture
def data(tmp_path) -> Path:
    """A private copy of the sample data (tests change files in it)."""
    out = tmp_path / "data"
    shutil.copytree(SAMPLE, out)
    return out


def _keys(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir() if (p / "dataset.pkl").exists())


def _fail(*args, **kwargs):
    raise AssertionError("the loader ran although a valid snapshot exists")


def assert_same(a, b) -> None:
    assert sorted(a.tables) == sorted(b.tables)
    for name in a.tables:
        assert a.tables[name].equals(b.tables[name]), name
        assert list(a.tables[name].dtypes) == list(b.tables[name].dtypes), name
    assert a.quality.equals(b.quality)
    assert a.mapping.equals(b.mapping)


def test_outside_a_batch_nothing_is_cached(data, monkeypatch):
    monkeypatch.delenv(snapshot.ENV, raising=False)
    ds = load_dataset(data)
    assert snapshot.dataset_key(ds) is None
    assert not any(p.name.startswith(".") for p in data.parent.iterdir())


@pytest.mark.slow
def test_snapshot_is_used_when_valid(data, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.delenv(snapshot.ENV, raising=False)
    plain = load_dataset(data)
    with snapshot.using(cache):
        first = load_dataset(data)
        assert len(_keys(cache)) == 1
        # a second load reads the snapshot: the loader's validation never runs
        monkeypatch.setattr("ars_analysis.data.loading.validate", _fail)
        second = load_dataset(data)
        # another spelling of the same folder (as a kernel sees it) uses the same snapshot
        monkeypatch.chdir(data.parent)
        third = load_dataset(Path("..") / data.parent.name / "data")
    assert len(_keys(cache)) == 1
    for ds in (first, second, third):
        assert_same(plain, ds)
    assert third.source == Path("..") / data.parent.name / "data"
    assert third.files["sales"] == third.source / "sales.csv"
    assert snapshot.dataset_key(second) == snapshot.dataset_key(first) is not None
    assert second.tables["sales"] is not first.tables["sales"]  # a fresh copy each time


@pytest.mark.slow
def test_snapshot_is_rebuilt_when_a_data_file_changes(data, tmp_path):
    cache = tmp_path / "cache"
    with snapshot.using(cache):
        before = load_dataset(data)
        customers = data / "customers.csv"
        text = customers.read_text(encoding="utf-8")
        first_id = before.tables["customers"]["customer_name"].iloc[0]
        customers.write_text(text.replace(first_id, first_id + "X", 1), encoding="utf-8")
        after = load_dataset(data)
    assert len(_keys(cache)) == 1  # the old snapshot of this folder was pruned
    assert after.tables["customers"]["customer_name"].iloc[0] == first_id + "X"
    assert snapshot.dataset_key(after) != snapshot.dataset_key(before)


@pytest.mark.slow
def test_snapshot_is_rebuilt_when_only_a_timestamp_changes(data, tmp_path):
    cache = tmp_path / "cache"
    with snapshot.using(cache):
        k1 = snapshot.dataset_key(load_dataset(data))
        st = (data / "sales.csv").stat()
        os.utime(data / "sales.csv", ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        k2 = snapshot.dataset_key(load_dataset(data))
    assert k1 != k2


@pytest.mark.slow
def test_key_changes_with_the_mapping_file_and_the_loader_version(data, tmp_path, monkeypatch):
    mapping = tmp_path / "map.yml"
    mapping.write_text("tables: {}\n", encoding="utf-8")
    k_plain = snapshot.load_key(data)
    k_map = snapshot.load_key(data, mapping)
    mapping.write_text("tables: {}\n# edited\n", encoding="utf-8")
    k_edited = snapshot.load_key(data, mapping)
    assert len({k_plain, k_map, k_edited}) == 3
    assert snapshot.load_key(data, period=("2025-01-01", "2025-06-30")) != k_plain

    monkeypatch.setattr(snapshot, "LOADER_VERSION", snapshot.LOADER_VERSION + 1)
    snapshot.code_version.cache_clear()
    try:
        assert snapshot.load_key(data) != k_plain
        with snapshot.using(tmp_path / "cache"):
            ds = load_dataset(data)
        assert snapshot.dataset_key(ds) == snapshot.load_key(data)
    finally:
        monkeypatch.undo()
        snapshot.code_version.cache_clear()
    assert snapshot.load_key(data) == k_plain


def _digest(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_input_files_are_never_modified(data, tmp_path):
    before = _digest(data)
    with snapshot.using(tmp_path / "cache"):
        ds = load_dataset(data)
        load_dataset(data)
        from ars_analysis.compose import top_terminals

        top_terminals(subset(ds, region="西北"))
    assert _digest(data) == before
    assert sorted(p.name for p in data.iterdir()) == sorted(before)


def _load_in_child(args) -> str:
    data, cache = args
    from ars_analysis.compose import top_terminals

    with snapshot.using(cache):
        ds = load_dataset(data)
        top = top_terminals(ds)
    h = hashlib.sha256()
    for name in sorted(ds.tables):
        h.update(name.encode())
        h.update(ds.tables[name].to_csv().encode())
    h.update(top.to_csv().encode())
    return h.hexdigest()


@pytest.mark.slow  # several loads and gradings of the sample (make test only)
def test_concurrent_jobs_do_not_corrupt_the_cache(data, tmp_path):
    cache = tmp_path / "cache"
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        first = pool.map(_load_in_child, [(data, cache)] * 4)
        again = pool.map(_load_in_child, [(data, cache)] * 4)
    assert len(set(first + again)) == 1
    assert len(_keys(cache)) == 1
    leftovers = [p for p in cache.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.slow
def test_an_unreadable_snapshot_is_rebuilt(data, tmp_path):
    cache = tmp_path / "cache"
    with snapshot.using(cache):
        good = load_dataset(data)
        (cache / _keys(cache)[0] / "dataset.pkl").write_bytes(b"not a pickle")
        again = load_dataset(data)
    assert_same(good, again)


@pytest.mark.slow
def test_strict_loading_still_raises_on_fatal_problems(data, tmp_path):
    from ars_analysis.data.validation import DataValidationError

    (data / "sales.csv").write_text("nothing,useful\n1,2\n", encoding="utf-8")
    with snapshot.using(tmp_path / "cache"):
        with pytest.raises(DataValidationError):
            load_dataset(data)
        assert len(load_dataset(data, strict=False).fatal)


def test_subset_keeps_a_derived_key(data, tmp_path):
    cache = tmp_path / "cache"
    with snapshot.using(cache):
        ds = load_dataset(data)
        whole = subset(ds)
        east = subset(ds, region="西北")
        keys = {snapshot.dataset_key(x) for x in (ds, whole, east)}
        assert None not in keys and len(keys) == 3
        # a subset's definitions live beside the loaded snapshot (pruned with it)
        assert snapshot.memo("x", east, (1,), lambda: "east") == "east"
        assert snapshot.memo("x", whole, (1,), lambda: "whole") == "whole"
        assert snapshot.memo("x", east, (1,), lambda: "computed again") == "east"
    assert [p.name for p in cache.iterdir()] == [snapshot.dataset_key(ds)]
    assert len(list(cache.glob("*/defs/x-*.pkl"))) == 2
    whole.tables["sales"] = whole.tables["sales"].head(3)  # replaced table: no key any more
    assert snapshot.dataset_key(whole) is None


# --------------------------------------------------------------------------------------------
# cached whole-dataset definitions


def _with_top_share(cfg, share: float):
    defs = cfg.definitions
    top = defs.top_terminal.model_copy(update={"share": share})
    return cfg.model_copy(update={"definitions": defs.model_copy(update={"top_terminal": top})})


@pytest.mark.slow  # several loads and gradings of the sample (make test only)
def test_cached_definitions_equal_computed_ones_and_are_fresh_copies(tmp_path):
    from ars_analysis.client import load_client_config
    from ars_analysis.compose import core_customers

    cfg = load_client_config()
    plain = core_customers(load_dataset(SAMPLE), cfg)
    with snapshot.using(tmp_path / "cache"):
        ds = load_dataset(SAMPLE)
        first = core_customers(ds, cfg)
        defs = list((tmp_path / "cache").rglob("defs/core_customers-*.pkl"))
        assert len(defs) == 1
        first["grade"] = "X"  # a caller changing its copy does not change the cache
        again = core_customers(ds, cfg)
    assert again.equals(plain)
    assert not first.equals(plain)


@pytest.mark.slow  # several loads and gradings of the sample (make test only)
def test_a_changed_client_config_invalidates_cached_definitions(tmp_path):
    from ars_analysis.client import load_client_config
    from ars_analysis.compose import core_customers

    cfg = load_client_config()
    wide = _with_top_share(cfg, 0.5)
    expected = core_customers(load_dataset(SAMPLE), wide)
    with snapshot.using(tmp_path / "cache"):
        ds = load_dataset(SAMPLE)
        narrow_cached = core_customers(ds, cfg)
        wide_cached = core_customers(ds, wide)  # not the narrow definition's cached result
        assert len(list((tmp_path / "cache").rglob("defs/core_customers-*.pkl"))) == 2
    assert wide_cached.equals(expected)
    assert not wide_cached.equals(narrow_cached)


@pytest.mark.slow  # several loads and gradings of the sample (make test only)
def test_a_changed_data_file_invalidates_cached_definitions(data, tmp_path):
    from ars_analysis.compose import core_customers

    with snapshot.using(tmp_path / "cache"):
        before = core_customers(load_dataset(data))
        sales = data / "sales.csv"
        lines = sales.read_text(encoding="utf-8").splitlines(keepends=True)
        sales.write_text("".join(lines[: len(lines) // 2]), encoding="utf-8")
        after = core_customers(load_dataset(data))
    assert after.equals(core_customers(load_dataset(data)))
    assert not after.equals(before)
    assert len(list((tmp_path / "cache").iterdir())) == 1  # the old snapshot and its definitions


@pytest.mark.slow
def test_memo_computes_outside_a_batch_and_for_unstable_arguments(tmp_path, monkeypatch):
    monkeypatch.delenv(snapshot.ENV, raising=False)
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    ds = load_dataset(SAMPLE)
    assert snapshot.memo("x", ds, (1,), compute) == 1  # no batch: computed
    with snapshot.using(tmp_path / "cache"):
        ds = load_dataset(SAMPLE)
        assert snapshot.memo("x", ds, (1,), compute) == 2  # computed and kept
        assert snapshot.memo("x", ds, (1,), compute) == 2  # read
        assert snapshot.memo("x", ds, (2,), compute) == 3  # other arguments
        unstable = snapshot.path_arg(object())
        assert snapshot.memo("x", ds, (unstable,), compute) == 4
        assert snapshot.memo("x", ds, (unstable,), compute) == 5  # never cached
        scorecard = tmp_path / "card.yml"
        scorecard.write_text("a: 1\n", encoding="utf-8")
        assert snapshot.memo("x", ds, (snapshot.path_arg(str(scorecard)),), compute) == 6
        scorecard.write_text("a: 2\n", encoding="utf-8")  # an edited file is a new key
        assert snapshot.memo("x", ds, (snapshot.path_arg(str(scorecard)),), compute) == 7
