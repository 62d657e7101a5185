"""Settings precedence (defaults < TOML < flags), clear config errors, and the flags made from
the Settings fields."""
import argparse
import dataclasses

import pytest

from tsstore.config import ConfigError, Settings, add_flags, cors_origins, networks, settings_from_args, write_token


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
    "--request-timeout": ("request_timeout", float),
    # added with the security settings (README: Security)
    "--carbon-bind": ("carbon_bind", str), "--http-bind": ("http_bind", str),
    "--api-write-token-file": ("api_write_token_file", str), "--api-write-networks": ("api_write_networks", str),
    "--api-trusted-proxies": ("api_trusted_proxies", str), "--api-cors-origins": ("api_cors_origins", str),
    # issue 14's request limits, added with flags
    "--max-request-head-bytes": ("max_request_head_bytes", int),
    "--max-expressions-per-render": ("max_expressions_per_render", int),
    # issue 15: self-metrics per instance
    "--self-metrics-instance": ("self_metrics_instance", str),
}
# A value each str flag accepts where "x" is refused.
VALID = {"--log-level": "debug", "--api-write-networks": "127.0.0.0/8,10.1.0.0/16", "--api-trusted-proxies": "10.0.0.1",
         "--api-cors-origins": "https://grafana.example.com"}


def _parser():
    parser = argparse.ArgumentParser()
    add_flags(parser)
    return parser


def test_the_flags_are_the_documented_ones():
    flags = {opt for action in _parser()._actions for opt in action.option_strings} - {"-h", "--help"}
    assert flags == {*FLAGS, "--config", "--no-udp"}


@pytest.mark.parametrize("flag", sorted(FLAGS))
def test_each_flag_sets_its_setting_with_its_type(flag, tmp_path):
    name, kind = FLAGS[flag]
    text = VALID.get(flag) or {int: "7", float: "2.5", str: "x"}[kind]
    if flag == "--api-write-token-file":
        text = str(tmp_path / "token")
        (tmp_path / "token").write_text("0123456789abcdef0123\n")
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


def test_the_binds_default_to_bind():
    s = Settings(bind="0.0.0.0")
    assert (s.carbon_address, s.http_address) == ("0.0.0.0", "0.0.0.0")
    s = settings_from_args(_args("--bind", "10.0.0.5", "--http-bind", "127.0.0.1"))
    assert (s.carbon_address, s.http_address) == ("10.0.0.5", "127.0.0.1")


def test_list_settings_take_a_toml_list_or_a_comma_separated_string(tmp_path):
    conf = tmp_path / "tsstore.toml"
    conf.write_text('api_write_networks = ["127.0.0.0/8", "10.1.0.0/16"]\napi_cors_origins = "https://a.example, https://B.example"\n')
    s = settings_from_args(_args("--config", str(conf)))
    assert [str(n) for n in networks(s, "api_write_networks")] == ["127.0.0.0/8", "10.1.0.0/16"]
    assert cors_origins(s) == ["https://a.example", "https://b.example"]  # browsers send the host in lower case
    assert networks(Settings(), "api_write_networks") == [] and cors_origins(Settings()) == []


def test_the_write_token_is_read_from_its_file_without_the_newline(tmp_path):
    token = tmp_path / "token"
    token.write_text("  s3cr3t-t0ken_0123456789  \n")
    assert write_token(Settings(api_write_token_file=str(token))) == "s3cr3t-t0ken_0123456789"
    assert write_token(Settings()) is None
