"""Settings precedence (defaults < TOML < flags), clear config errors, and the flags made from
the Settings fields."""
import argparse
import dataclasses

import pytest

from tsstore.config import ConfigError, Settings, add_flags, settings_from_args


def _args(*argv):
    parser = argparse.ArgumentParser()
    add_flags(parser)
    return parser.parse_args(argv)


def test_defaults_are_carbons():
    s = Settings()
    assert (s.carbon_port, s.pickle_port, s.http_port, s.udp_enabled) == (2003, 2004, 8080, True)
    assert s.data_dir == "./tsstore-data" and s.store == "embedded"


def test_toml_then_flags_override(tmp_path):
    conf = tmp_path / "tsstore.toml"
    conf.write_text('data_dir = "/srv/metrics"\ncarbon_port = 12003\nhttp_port = 18080\n')
    s = settings_from_args(_args("--config", str(conf), "--http-port", "9999"))
    assert (s.data_dir, s.carbon_port, s.http_port, s.pickle_port) == ("/srv/metrics", 12003, 9999, 2004)


def test_toml_under_a_table(tmp_path):
    conf = tmp_path / "tsstore.toml"
    conf.write_text("[tsstore]\nflush_interval = 2.5\n")
    assert settings_from_args(_args("--config", str(conf))).flush_interval == 2.5


@pytest.mark.parametrize(
    "text, message",
    [("carbon_prot = 1\n", "unknown setting 'carbon_prot'"), ("carbon_port = \n", "not valid TOML")],
)
def test_bad_config_files_name_the_problem(tmp_path, text, message):
    conf = tmp_path / "bad.toml"
    conf.write_text(text)
    with pytest.raises(ConfigError, match=message):
        settings_from_args(_args("--config", str(conf)))


def test_missing_config_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        settings_from_args(_args("--config", str(tmp_path / "nope.toml")))


# The command-line flags as they were written by hand before they were made from the fields:
# each keeps its name, its type and the setting it sets.
FLAGS = {
    "--data-dir": ("data_dir", str), "--store": ("store", str), "--schemas-file": ("schemas_file", str),
    "--aggregation-file": ("aggregation_file", str), "--bind": ("bind", str), "--carbon-port": ("carbon_port", int),
    "--pickle-port": ("pickle_port", int), "--http-port": ("http_port", int), "--http-workers": ("http_workers", int),
    "--flush-interval": ("flush_interval", float), "--wal-max-bytes": ("wal_max_bytes", int),
    "--self-metrics-interval": ("self_metrics_interval", float), "--log-level": ("log_level", str),
    # issue 14's request limits, added with flags
    "--max-request-head-bytes": ("max_request_head_bytes", int),
    "--max-expressions-per-render": ("max_expressions_per_render", int),
}


def _parser():
    parser = argparse.ArgumentParser()
    add_flags(parser)
    return parser


def test_the_flags_are_the_documented_ones():
    flags = {opt for action in _parser()._actions for opt in action.option_strings} - {"-h", "--help"}
    assert flags == {*FLAGS, "--config", "--no-udp"}


@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_each_flag_sets_its_setting_with_its_type(flag):
    name, kind = FLAGS[flag]
    text = "debug" if flag == "--log-level" else {int: "7", float: "2.5", str: "x"}[kind]  # a level it accepts
    s = settings_from_args(_args(flag, text))
    assert getattr(s, name) == kind(text) and type(getattr(s, name)) is kind


def test_no_udp_turns_udp_off_and_its_absence_keeps_the_toml_value(tmp_path):
    assert settings_from_args(_args("--no-udp")).udp_enabled is False
    conf = tmp_path / "tsstore.toml"
    conf.write_text("udp_enabled = false\n")
    assert settings_from_args(_args("--config", str(conf))).udp_enabled is False
    assert settings_from_args(_args()).udp_enabled is True


def test_help_prints_each_default_from_its_field():
    helps = {a.dest: a.help for a in _parser()._actions}
    assert "(default 2003)" in helps["carbon_port"] and "(default 8 GiB)" in helps["wal_max_bytes"]
    assert "(default 10)" in helps["flush_interval"] and "(default ./tsstore-data)" in helps["data_dir"]
    for f in dataclasses.fields(Settings):
        if f.name in helps and f.default is not None and f.type != "bool":
            assert "(default " in helps[f.name], f.name


def test_toml_only_settings_have_no_flag_but_merge_from_toml(tmp_path):
    helps = {a.dest for a in _parser()._actions}
    assert "max_points_per_render" not in helps and "json_infinity_as_null" not in helps
    conf = tmp_path / "tsstore.toml"
    conf.write_text("max_points_per_render = 10\njson_infinity_as_null = true\n")
    s = settings_from_args(_args("--config", str(conf)))
    assert (s.max_points_per_render, s.json_infinity_as_null) == (10, True)
