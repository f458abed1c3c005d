// The `ferry` command: run, check, version, pub, sub.
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "config/config.hpp"

namespace {

void add_client_options(CLI::App& cmd, ferry::app::ClientOptions& o) {
  cmd.add_option("url", o.url, "mqtt://host:port or unix:///path/to/socket");
  cmd.add_option("-H,--host", o.host, "broker host (when no URL is given)");
  cmd.add_option("-p,--port", o.port, "broker port");
  cmd.add_option("-t,--topic", o.topic, "topic name or filter")->required();
  cmd.add_option("-q,--qos", o.qos, "QoS 0, 1 or 2")->check(CLI::Range(0, 2));
  cmd.add_option("-V,--protocol-version", o.version, "3.1, 3.1.1 or 5");
  cmd.add_option("-i,--id", o.client_id, "client identifier");
  cmd.add_option("-u,--username", o.username, "user name");
  cmd.add_option("-P,--password", o.password, "password");
  cmd.add_option("-C,--count", o.count, "sub: exit after N messages; pub: send N times");
  cmd.add_option("-W,--timeout", o.timeout_s, "sub: exit after this many seconds");
  cmd.add_option("-k,--keepalive", o.keep_alive, "keep alive in seconds");
  cmd.add_option("-x,--session-expiry", o.session_expiry, "v5 session expiry interval");
  cmd.add_flag("--no-clean{false}", o.clean, "keep the session (clean start off)");
  cmd.add_option_function<std::vector<std::string>>(
      "-D,--user-property",
      [&o](const std::vector<std::string>& values) {
        for (const auto& v : values) {
          auto eq = v.find('=');
          if (eq == std::string::npos) {
            throw CLI::ValidationError("--user-property", "expected key=value");
          }
          o.user_properties.emplace_back(v.substr(0, eq), v.substr(eq + 1));
        }
      },
      "v5 user property key=value (repeatable)");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Ferry: an MQTT 3.1/3.1.1/5.0 broker"};
  app.require_subcommand(1);
  std::string config_path;

  auto* run = app.add_subcommand("run", "start the broker");
  run->add_option("-c,--config", config_path, "TOML configuration file");
  auto* check = app.add_subcommand("check", "validate a configuration file and exit");
  check->add_option("-c,--config", config_path, "TOML configuration file")->required();
  auto* version = app.add_subcommand("version", "print the version");

  ferry::app::ClientOptions pub_options, sub_options;
  auto* pub = app.add_subcommand("pub", "publish a message");
  add_client_options(*pub, pub_options);
  pub->add_option("-m,--message", pub_options.message, "payload");
  pub->add_flag("-r,--retain", pub_options.retain, "retain the message");
  auto* sub = app.add_subcommand("sub", "subscribe and print messages");
  add_client_options(*sub, sub_options);
  sub->add_flag("-v,--verbose", sub_options.verbose, "print the topic before each payload");

  CLI11_PARSE(app, argc, argv);
  try {
    if (*run) {
      return ferry::app::run_broker(config_path);
    }
    if (*check) {
      return ferry::app::check_config(config_path);
    }
    if (*version) {
      std::cout << "ferry " << FERRY_VERSION << "\n";
      return 0;
    }
    if (*pub) {
      return ferry::app::publish_command(pub_options);
    }
    return ferry::app::subscribe_command(sub_options);
  } catch (const ferry::config::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ferry: " << e.what() << "\n";
    return 1;
  }
}
