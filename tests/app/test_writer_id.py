"""The writer id of a data dir: drawn once and kept (a restart, or a new host name or port on
the same data dir, is the same writer), chosen by writing the file first, and a file that
holds no id named as an error rather than replaced (a new id would be a new writer)."""
import pytest

from tsstore.writer_id import FILE_NAME, WriterIdError, data_dir_writer_id


def test_drawn_once_and_kept(tmp_path):
    first = data_dir_writer_id(tmp_path / "data")
    assert 0 <= first < 4096
    assert (tmp_path / "data" / FILE_NAME).read_text() == f"{first}\n"
    assert [data_dir_writer_id(tmp_path / "data") for _ in range(3)] == [first] * 3
    assert not list((tmp_path / "data").glob("*.tmp"))


def test_chosen_by_the_operator(tmp_path):
    (tmp_path / FILE_NAME).write_text("4095\n")
    assert data_dir_writer_id(tmp_path) == 4095


@pytest.mark.parametrize("text", ["", "seven", "4096", "-1"])
def test_a_file_without_an_id_is_named(tmp_path, text):
    (tmp_path / FILE_NAME).write_text(text)
    with pytest.raises(WriterIdError, match=f"{FILE_NAME} holds .*not a writer id 0..4095"):
        data_dir_writer_id(tmp_path)
    assert (tmp_path / FILE_NAME).read_text() == text
