#include "app/cli.hpp"

#include <utility>  // before Boost.Asio with GCC 12 (DESIGN.md)

#include <algorithm>
#include <sstream>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "app/cmd_check_config.hpp"
#include "app/command.hpp"
#include "run_cli_capture.hpp"
#include "temp_dir.hpp"
#include "test_certificates.hpp"

namespace osprey::app {
namespace {

using test_support::TempDir;

const std::string kExample = std::string(OSPREY_SOURCE_DIR) + "/examples/osprey.toml";

using testing::CliResult;
using testing::run;

std::size_t count_lines(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

TEST(AppCheckConfig, ExampleIsOk) {
  std::ostringstream out;
  std::ostringstream err;
  Streams streams{out, err};
  EXPECT_EQ(run_check_config(kExample, streams), kExitOk);
  EXPECT_EQ(out.str(), kExample + ": ok\n");
  EXPECT_EQ(err.str(), "");
}

TEST(AppCheckConfig, BadFileGivesOneLine) {
  TempDir dir;
  const auto file = dir.write("osprey.toml", "domains = [\"a\"]\n[registrar]\nmax_expires = 100000\n");
  std::ostringstream out;
  std::ostringstream err;
  Streams streams{out, err};
  EXPECT_EQ(run_check_config(file, streams), kExitFailure);
  EXPECT_EQ(out.str(), "");
  EXPECT_EQ(err.str(),
            file.string() + ":3: key 'registrar.max_expires': must be an integer between 60 and 86400\n");
}

// check-config refuses what serve refuses: TLS files that do not parse, or a key that is not
// the certificate's, with serve's own one-line error; a matching pair is ok.
TEST(AppCheckConfig, TlsFilesAreLoadedAsServeLoadsThem) {
  TempDir dir;
  const auto first = testing::write_self_signed(dir.path(), "first");
  const auto second = testing::write_self_signed(dir.path(), "second");
  ASSERT_FALSE(first.certificate.empty());
  ASSERT_FALSE(second.certificate.empty());
  const auto config_with = [&](const std::filesystem::path& certificate, const std::filesystem::path& key) {
    return dir.write("osprey.toml", "domains = [\"a\"]\n[[listen]]\ntransport = \"tls\"\ncertificate = \"" +
                                        certificate.string() + "\"\nprivate_key = \"" + key.string() +
                                        "\"\n");
  };
  const auto check = [](const std::filesystem::path& file) {
    std::ostringstream out;
    std::ostringstream err;
    Streams streams{out, err};
    const int code = run_check_config(file, streams);
    return std::make_pair(code, err.str());
  };

  const auto matching = config_with(first.certificate, first.private_key);
  EXPECT_EQ(check(matching), std::make_pair(kExitOk, std::string()));

  const auto mismatched = check(config_with(first.certificate, second.private_key));
  EXPECT_EQ(mismatched.first, kExitFailure);
  EXPECT_EQ(mismatched.second.rfind(matching.string() + ": cannot load TLS certificate: ", 0), 0u)
      << mismatched.second;
  EXPECT_EQ(std::count(mismatched.second.begin(), mismatched.second.end(), '\n'), 1);

  const auto garbage = dir.write("garbage.pem", "not a certificate\n");
  const auto unparsable = check(config_with(garbage, first.private_key));
  EXPECT_EQ(unparsable.first, kExitFailure);
  EXPECT_NE(unparsable.second.find("cannot load TLS certificate"), std::string::npos) << unparsable.second;
}

TEST(AppCli, CheckConfigThroughTheCommandLine) {
  const CliResult ok = run({"check-config", kExample});
  EXPECT_EQ(ok.code, kExitOk);
  EXPECT_EQ(ok.out, kExample + ": ok\n");

  TempDir dir;
  const CliResult missing = run({"check-config", (dir.path() / "absent.toml").string()});
  EXPECT_EQ(missing.code, kExitFailure);
  EXPECT_EQ(count_lines(missing.err), 1u);
}

TEST(AppCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run({}).code, kExitUsage);
  EXPECT_EQ(run({"bogus"}).code, kExitUsage);
  EXPECT_EQ(run({"--bogus"}).code, kExitUsage);
  EXPECT_EQ(run({"check-config"}).code, kExitUsage);
  EXPECT_EQ(run({"check-config", "a.toml", "b.toml"}).code, kExitUsage);
  EXPECT_EQ(run({"serve"}).code, kExitUsage);
  EXPECT_EQ(run({"serve", "--config"}).code, kExitUsage);
}

TEST(AppCli, VersionAndHelpExitZero) {
  const CliResult version = run({"--version"});
  EXPECT_EQ(version.code, kExitOk);
  EXPECT_EQ(version.out.rfind("osprey ", 0), 0u) << version.out;
  const CliResult help = run({"--help"});
  EXPECT_EQ(help.code, kExitOk);
  EXPECT_NE(help.out.find("check-config"), std::string::npos);
  EXPECT_NE(help.out.find("serve"), std::string::npos);
}

TEST(AppCli, ServeWithBadConfigExitsOne) {
  TempDir dir;
  const auto file = dir.write("osprey.toml", "workers = 1\n");
  const CliResult result = run({"serve", "--config", file.string()});
  EXPECT_EQ(result.code, kExitFailure);
  EXPECT_EQ(count_lines(result.err), 1u) << result.err;
}

TEST(AppCli, ServeWithPortInUseExitsOne) {
  // Hold a TCP port, then ask serve to listen on it: it must give up at once with one error line.
  boost::asio::io_context io_context;
  boost::asio::ip::tcp::acceptor holder(io_context, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const std::uint16_t port = holder.local_endpoint().port();
  TempDir dir;
  const auto file = dir.write("osprey.toml",
                              "domains = [\"a\"]\n[[listen]]\ntransport = \"tcp\"\naddress = "
                              "\"127.0.0.1\"\nport = " +
                                  std::to_string(port) + "\n");
  const CliResult result = run({"serve", "--config", file.string()});
  EXPECT_EQ(result.code, kExitFailure);
  EXPECT_NE(
      result.err.find("cannot listen on tcp 127.0.0.1:" + std::to_string(port) + ": Address already in use"),
      std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace osprey::app
