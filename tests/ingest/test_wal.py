"""Write-ahead log: durable records, torn tails, trimming, the disk budget, the names log."""
import numpy as np
import pytest

from tsstore.ingest.wal import Position, WalFull, WriteAheadLog, decode_points, encode_points


def _points(n, base=0):
    return (np.arange(n, dtype=np.int64) + base, np.arange(n, dtype=np.int64) * 10, np.arange(n) * 0.5)


def _records(wal, pos=Position(0, 0)):
    return [decode_points(payload) for _, payload in wal.read_from(pos)]


def test_records_come_back_in_order_after_reopen(tmp_path):
    wal = WriteAheadLog(tmp_path)
    assert wal.open() == []
    wal.append([encode_points(*_points(3))], ["a.b", "a.c", "a.d"])
    wal.append([encode_points(*_points(2, base=1))], [])
    wal.close()
    again = WriteAheadLog(tmp_path)
    assert again.open() == ["a.b", "a.c", "a.d"]
    recs = _records(again, again.first_position())
    assert [r[0].tolist() for r in recs] == [[0, 1, 2], [1, 2]]
    assert recs[0][2].tolist() == [0.0, 0.5, 1.0]


def test_torn_tail_is_ignored_and_earlier_records_survive(tmp_path):
    wal = WriteAheadLog(tmp_path)
    wal.open()
    wal.append([encode_points(*_points(4))], ["x"])
    wal.close()
    path = next(tmp_path.glob("wal-*.log"))
    good = path.read_bytes()
    path.write_bytes(good + good[: len(good) // 2])  # a second record cut in half
    again = WriteAheadLog(tmp_path)
    again.open()
    recs = _records(again, again.first_position())
    assert len(recs) == 1 and recs[0][0].tolist() == [0, 1, 2, 3]


def test_corrupt_record_stops_replay_of_that_file(tmp_path):
    wal = WriteAheadLog(tmp_path)
    wal.open()
    wal.append([encode_points(*_points(2)), encode_points(*_points(2, 5))], [])
    wal.close()
    path = next(tmp_path.glob("wal-*.log"))
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF  # flip a bit in the last record's payload
    path.write_bytes(bytes(data))
    again = WriteAheadLog(tmp_path)
    again.open()
    assert [r[0].tolist() for r in _records(again, again.first_position())] == [[0, 1]]


def test_rotation_and_trim_delete_only_consumed_files(tmp_path):
    wal = WriteAheadLog(tmp_path)
    wal.open()
    first = wal.append([encode_points(*_points(1))], [])
    wal.request_rotate()
    second = wal.append([encode_points(*_points(1, 7))], [])
    assert second.file_no == first.file_no + 1
    assert wal.trim_before(second.file_no) == 1
    assert [r[0].tolist() for r in _records(wal, wal.first_position())] == [[7]]


def test_disk_budget_refuses_and_keeps_earlier_data(tmp_path):
    wal = WriteAheadLog(tmp_path, max_bytes=200)
    wal.open()
    wal.append([encode_points(*_points(2))], [])
    with pytest.raises(WalFull, match="full"):
        wal.append([encode_points(*_points(50))], [])
    assert len(_records(wal, wal.first_position())) == 1


def test_names_log_torn_tail_is_dropped(tmp_path):
    wal = WriteAheadLog(tmp_path)
    wal.open()
    wal.append([], ["first.name", "second.name"])
    wal.close()
    names = tmp_path / "names.log"
    names.write_bytes(names.read_bytes()[:-3])
    again = WriteAheadLog(tmp_path)
    assert again.open() == ["first.name"]


def test_a_full_disk_leaves_no_partial_record_and_names_once(tmp_path):
    """Appends fail on a full (real, tiny) filesystem: each failed append is cut back whole, so
    the names of refused points are not written twice and the logs load cleanly after."""
    from tests.helpers.disk import fill, small_tmpfs

    with small_tmpfs(tmp_path / "disk", "1m") as disk:
        wal = WriteAheadLog(disk / "wal")
        wal.open()
        fill(disk / "filler", leave=20_000)
        accepted, failures = [], 0
        for i in range(200):
            names = [f"series.{i}.{j}.{'x' * 40}" for j in range(4)]
            payload = encode_points(np.arange(4, dtype=np.int64) + 4 * len(accepted), np.full(4, i, np.int64), np.ones(4))
            try:
                wal.append([payload], names)
            except OSError:
                failures += 1
                continue
            accepted.append(names)
        assert failures and accepted, "the disk must fill part way through"
        (disk / "filler").unlink()
        wal.append([encode_points(np.array([4 * len(accepted)]), np.array([1]), np.array([1.0]))], ["after.space.freed"])
        wal.close()

        again = WriteAheadLog(disk / "wal")
        assert again.open() == [n for names in accepted for n in names] + ["after.space.freed"]
        records = list(again.read_from(again.first_position()))
        assert len(records) == len(accepted) + 1  # every accepted record, whole, and nothing else
        again.close()
