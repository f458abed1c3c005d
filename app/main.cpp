// The `ferry` command: run, check, version, pub, sub.
#include <iostream>

#include <CLI/CLI.hpp>

#include "app/commands.hpp"
#include "config/config.hpp"

namespace {

void add_client_options(CLI::App& cmd, ferry::app::ClientOptions& o) {
  cmd.add_option("url", o.url, "mqtt://host:port, unix:///path/to/socket or mqttsn://host:port");
  cmd.add_option("-H,--host", o.host, "broker host (when no URL is given)");
  cmd.add_option("-p,--port", o.port, "broker port");
  cmd.add_option("-t,--topic", o.topic, "topic name or filter");
  cmd.add_option("-q,--qos", o.qos, "QoS 0, 1 or 2 (-1: MQTT-SN pub without connecting)")
      ->check(CLI::Range(-1, 2));
  cmd.add_option("--topic-id", o.topic_id, "MQTT-SN: predefined topic id")
      ->check(CLI::Range(1, 0xFFFE));
  cmd.add_flag("--short", o.short_topic, "MQTT-SN: the 2-character topic is a short topic name");
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

bool is_mqttsn(const ferry::app::ClientOptions& o) {
  return o.url.rfind("mqttsn://", 0) == 0;
}

/// MQTT-SN may name its topic by id; MQTT needs a topic and QoS 0..2.
void check_client_options(const ferry::app::ClientOptions& o) {
  if (is_mqttsn(o)) {
    return;
  }
  if (o.topic.empty()) {
    throw CLI::RequiredError("--topic");
  }
  if (o.qos < 0 || o.topic_id != 0 || o.short_topic || o.sleep_s != 0) {
    throw CLI::ValidationError("-q -1, --topic-id, --short and --sleep need an mqttsn:// URL");
  }
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
  sub->add_option("--sleep", sub_options.sleep_s,
                  "MQTT-SN: sleep for SECONDS after subscribing, waking up to receive")
      ->check(CLI::Range(1, 65535));

  try {
    app.parse(argc, argv);
    if (*pub || *sub) {
      check_client_options(*pub ? pub_options : sub_options);
    }
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
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
      return is_mqttsn(pub_options) ? ferry::app::sn_publish_command(pub_options)
                                    : ferry::app::publish_command(pub_options);
    }
    return is_mqttsn(sub_options) ? ferry::app::sn_subscribe_command(sub_options)
                                  : ferry::app::subscribe_command(sub_options);
  } catch (const ferry::config::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ferry: " << e.what() << "\n";
    return 1;
  }
}
