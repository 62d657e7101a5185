"""The y axis chosen as graphite-web chooses it: steps, rounded ends, user limits, units, log."""
import pytest

from tsstore.graph.options import GraphParameterError
from tsstore.graph.ticks import axis, scale_units


def values_and_labels(low, high, **opts):
    a = axis(low, high, opts)
    values = a.label_values()
    return values, [a.label(v) for v in values]


def test_the_step_leaving_least_room_beyond_the_data():
    # 0..23.5: 5 x 5 reaches 25 (1.5 to spare), 4 x 10 would leave 16.5
    values, labels = values_and_labels(0.0, 23.5)
    assert values == [0, 5, 10, 15, 20, 25]
    assert labels == ["0 ", "5.0 ", "10.0 ", "15.0 ", "20.0 ", "25.0 "]


def test_ymin_and_ymax_fix_the_ends():
    values, _ = values_and_labels(3.0, 47.0, yMin=0.0, yMax=100.0)
    assert values == [0, 20, 40, 60, 80, 100]
    a = axis(3.0, 47.0, {"yMin": -10.0})
    assert a.bottom == -10.0 and a.top == 50.0


def test_ystep_and_ydivisors():
    values, _ = values_and_labels(0.0, 23.5, yStep=2.0)
    assert values[:3] == [0, 2, 4] and values[-1] == 24
    values, _ = values_and_labels(0.0, 23.5, yDivisors=[3])
    assert values == [0, 10, 20, 30]


def test_ylimit_caps_the_data_maximum():
    a = axis(0.0, 90.0, {"yLimit": 50.0})
    assert a.top == 50.0
    a = axis(0.0, 42.0, {"yLimit": 45.0})  # above the data: the rounded top may not pass it
    assert a.top == 45.0


def test_ymax_max_keeps_the_data_maximum_as_top():
    a = axis(0.0, 23.5, {"yMax": "max"})
    assert a.top == 23.5 and a.label_values()[-1] == 20


def test_a_flat_series_gets_room_around_it():
    a = axis(5.0, 5.0, {})
    assert a.bottom < 5.0 < a.top
    values, labels = values_and_labels(0.0, 0.0)  # reconciled to -1..1 around the zero
    assert values == [-1.0, -0.5, 0.0, 0.5, 1.0] and labels[:2] == ["-1 ", "-0.5 "]


def test_ymin_above_ymax_is_an_error_naming_them():
    with pytest.raises(GraphParameterError, match="yMin must be less than yMax"):
        axis(0.0, 10.0, {"yMin": 5.0, "yMax": 1.0})


def test_si_prefixes_follow_the_step():
    # a step of 500 k keeps the labels in k: 1.5 M is written 1500.0 k, as graphite-web writes it
    values, labels = values_and_labels(0.0, 1.9e6)
    assert values == [0, 500000, 1000000, 1500000, 2000000]
    assert labels[3] == "1500.0 k "
    values, labels = values_and_labels(0.0, 9e6)
    assert labels[1:3] == ["2.0 M ", "4.0 M "]


def test_binary_units_step_in_powers_of_two():
    values, labels = values_and_labels(0.0, 3.5 * 1024 ** 2, yUnitSystem="binary")
    assert values == [0, 1024 ** 2, 2 * 1024 ** 2, 3 * 1024 ** 2, 4 * 1024 ** 2]
    assert labels[1] == "1.0 Mi "


def test_no_unit_system_writes_plain_numbers():
    _, labels = values_and_labels(0.0, 9e6, yUnitSystem="none")
    assert labels[1] == "2000000.0 "


def test_small_spans_take_more_decimals():
    _, labels = values_and_labels(0.0, 0.35)
    assert labels[:3] == ["0 ", "0.10 ", "0.20 "]
    _, labels = values_and_labels(1.0, 1.8)
    assert labels[:2] == ["1.00 ", "1.20 "]


def test_log_axis_runs_between_powers_of_the_base():
    values, labels = values_and_labels(3.0, 2000.0, logBase=10.0)
    assert values == [1, 10, 100, 1000, 10000]
    assert labels == ["1.0 ", "10.0 ", "100.0 ", "1.0 k ", "10.0 k "]


def test_log_axis_over_values_reaching_zero_is_refused():
    with pytest.raises(GraphParameterError, match="logBase needs data above zero"):
        axis(0.0, 10.0, {"logBase": 10.0})


def test_scale_units():
    assert scale_units(2048.0, None, "binary") == (2.0, "Ki")
    assert scale_units(7200.0, 3600.0, "sec") == (2.0, "H")
    assert scale_units(999.0, None, "si") == (999.0, "")
