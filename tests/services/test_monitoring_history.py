"""History of a cluster's figures: 5 s slots for the last hour, 1 min means for the last day, a fixed
amount of memory however long the console runs, and a private file that a restart reads back — or
sets aside when it is damaged."""

from __future__ import annotations

from pathlib import Path

from gui.services.monitoring import History, HistoryStore
from gui.services.monitoring.history import MAGIC, Tier

T0 = 1_796_000_040.0  # on a minute boundary


def filled(hours: float, step: float = 5.0, gap: tuple[float, float] | None = None) -> tuple[History, float]:
    h = History()
    t = T0
    k = 0
    while t < T0 + hours * 3600:
        if gap is None or not gap[0] <= t - T0 < gap[1]:
            h.add(t, {"qps": float(k), "be:1:cpu_pct": 50.0})
        k += 1
        t += step
    return h, t - step


def test_the_last_hour_is_kept_at_5_s_and_the_day_as_1_min_means() -> None:
    h, last = filled(hours=3)
    times, values = h.series("qps", 300, until=last)
    assert len(times) == 60 and times[-1] == last and values[-1] == (last - T0) / 5
    assert all(b - a == 5 for a, b in zip(times, times[1:], strict=False))
    times, values = h.series("qps", 6 * 3600, until=last)
    # Beyond an hour the minute tier answers: a point a minute, the mean of that minute's readings.
    assert len(times) == 180 and all(b - a == 60 for a, b in zip(times, times[1:], strict=False))
    k0 = (times[0] - T0) / 5
    assert values[0] == sum(k0 + i for i in range(12)) / 12
    assert h.series("nothing", 300, until=last) == ([], [])


def test_memory_and_the_file_stay_the_same_size_however_long_it_runs() -> None:
    short, _ = filled(hours=2)
    long, last = filled(hours=26)
    # 4 bytes a slot per series, 8 for the slot's number: (720 + 1440) * (8 + 2 * 4).
    assert long.nbytes() == short.nbytes() == 34_560
    # The file: the same rings, and a header whose numbers may take a digit more.
    assert abs(len(long.to_bytes({})) - len(short.to_bytes({}))) < 16
    times, _ = long.series("qps", 24 * 3600, until=last)
    assert len(times) == 1440 and times[0] > last - 24 * 3600  # the day before was overwritten
    assert long.series("qps", 7200, until=T0 + 3600)[0] == []  # older than a day: gone


def test_a_gap_stays_a_gap() -> None:
    h, last = filled(hours=1, gap=(600, 900))
    times, _ = h.series("qps", 3600, until=last)
    assert not [t for t in times if T0 + 600 <= t < T0 + 900]
    assert len(times) == 720 - 60


def test_a_series_of_a_node_gone_for_a_day_is_forgotten() -> None:
    h = History()
    h.add(T0, {"be:9:cpu_pct": 10.0, "qps": 1.0})
    for k in range(1, 1500):
        h.add(T0 + 60 * k, {"qps": 1.0})
    assert h.prune() == ["be:9:cpu_pct"] and h.names() == ["qps"]


def test_the_file_reads_back_exactly_and_is_the_users_alone(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "data" / "metrics")
    h, last = filled(hours=2)
    store.save("prod", h.to_bytes({"profile": "prod", "alerts": {"active": [], "ended": []}}))
    path = store.path("prod")
    assert path.stat().st_mode & 0o777 == 0o600 and path.parent.stat().st_mode & 0o777 == 0o700
    back, header = store.load("prod")
    assert header["profile"] == "prod" and back.names() == h.names()
    for seconds in (300, 7200):
        assert back.series("qps", seconds, until=last) == h.series("qps", seconds, until=last)
    # A reading after the restart goes on in the same slots.
    back.add(last + 5, {"qps": 1.0})
    assert back.latest("qps") == (last + 5, 1.0)
    assert not store.problems


def test_a_renamed_profile_keeps_its_history_under_its_new_name(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "metrics")
    h, last = filled(hours=1)
    store.save("lab", h.to_bytes({"profile": "lab", "alerts": {"active": [], "ended": []}}))
    store.rename("lab", "lab-renamed")
    back, header = store.load("lab-renamed")
    assert header["profile"] == "lab-renamed" and header["alerts"] == {"active": [], "ended": []}
    assert back.series("qps", 3600, until=last) == h.series("qps", 3600, until=last)
    assert not store.path("lab").exists() and not store.problems and not store.set_aside


def test_a_damaged_history_is_set_aside_and_starts_empty(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "metrics")
    h, _ = filled(hours=1)
    good = h.to_bytes({"profile": "prod"})
    for name, data in (
        ("cut", good[:-100]),
        ("garbage", b"\x00\x01 not a history"),
        ("header", MAGIC + b"\x00\x00\x00\x05{nope"),
        ("other profile", History().to_bytes({"profile": "staging"})),
    ):
        store.path("prod").parent.mkdir(parents=True, exist_ok=True)
        store.path("prod").write_bytes(data)
        back, header = store.load("prod")
        assert back.names() == [] and header == {}, name
        assert not store.path("prod").exists(), name
    assert len(store.set_aside) == 4 and all(".damaged-" in p.name for p in store.set_aside)
    assert any("cut short" in p for p in store.problems)
    assert any("belongs to the profile 'staging'" in p for p in store.problems)
    # A file of other tiers is not read as if it were of these.
    store.path("prod").write_bytes(History((Tier(10, 360), Tier(60, 1440))).to_bytes({"profile": "prod"}))
    assert store.load("prod")[0].names() == [] and any("other tiers" in p for p in store.problems)
