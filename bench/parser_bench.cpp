// SIP parser benchmarks (DESIGN.md "How to measure"): ns per message for osprey's framing +
// transaction key and for a full parse, side by side with libosip2 and sofia-sip when their
// -dev packages were found at configure time. Each benchmark reports the heap allocations one
// parse makes ("allocs", counted by alloc_counter.cpp) and the message size ("bytes").
//
//   osprey/frame/<name>  Message::parse_borrowed: start line, header index, transaction key
//   osprey/full/<name>   the same + validate_headers (every typed header) + every name/value/body
//   osip/<name>          osip_message_init + osip_message_parse + osip_message_free
//   sofia/<name>         msg_make (copy into a msg_t buffer + msg_extract of every header) + msg_destroy
//
// The messages are bench/messages/*.sip (see generate.py there); the directory is compiled in and
// can be overridden with the OSPREY_BENCH_MESSAGES environment variable.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "alloc_counter.hpp"
#include "sip/message.hpp"
#include "sip/validation.hpp"

#ifdef OSPREY_BENCH_HAVE_OSIP
#include <osipparser2/osip_parser.h>
#endif

#ifdef OSPREY_BENCH_HAVE_SOFIA
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#endif

#ifndef OSPREY_BENCH_MESSAGES_DIR
#define OSPREY_BENCH_MESSAGES_DIR "bench/messages"
#endif

namespace {

namespace sip = osprey::sip;

struct TestMessage {
  std::string name;
  std::string bytes;
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "osprey_bench: %s\n", what.c_str());
  std::exit(2);
}

// The five reference messages first, in their order; any other *.sip file after them.
std::vector<TestMessage> load_messages() {
  const char* from_env = std::getenv("OSPREY_BENCH_MESSAGES");
  std::filesystem::path dir = from_env != nullptr ? from_env : OSPREY_BENCH_MESSAGES_DIR;
  if (!std::filesystem::is_directory(dir)) fail("no message directory " + dir.string());
  const std::vector<std::string> order = {"register_digest", "invite_sdp", "ok_record_route", "message",
                                          "invite_identity"};
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".sip") files.push_back(entry.path());
  auto rank = [&](const std::filesystem::path& p) {
    auto it = std::find(order.begin(), order.end(), p.stem().string());
    return static_cast<std::size_t>(it - order.begin());
  };
  std::sort(files.begin(), files.end(),
            [&](const auto& a, const auto& b) { return rank(a) != rank(b) ? rank(a) < rank(b) : a < b; });
  std::vector<TestMessage> messages;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    messages.push_back({path.stem().string(), std::move(bytes)});
  }
  if (messages.empty()) fail("no *.sip files in " + dir.string());
  return messages;
}

// Every message must parse completely with each parser, or the numbers compare different work.
void check_message(const TestMessage& m) {
  auto parsed = sip::Message::parse(m.bytes);
  if (!parsed) fail(m.name + ": Message::parse failed: " + parsed.error().reason);
  if (!parsed->content_length()) fail(m.name + ": no Content-Length");
  if (*parsed->content_length() != parsed->body().size() || parsed->wire_size() != m.bytes.size()) {
    fail(m.name + ": Content-Length " + std::to_string(*parsed->content_length()) + " but the body has " +
         std::to_string(m.bytes.size() - (parsed->wire_size() - parsed->body().size())) + " bytes");
  }
  if (auto valid = sip::validate_headers(*parsed); !valid) {
    fail(m.name + ": validate_headers failed: " + valid.error().reason + " (" + valid.error().header + ")");
  }
#ifdef OSPREY_BENCH_HAVE_OSIP
  osip_message_t* osip = nullptr;
  osip_message_init(&osip);
  if (osip_message_parse(osip, m.bytes.data(), m.bytes.size()) != 0 || osip->call_id == nullptr ||
      osip->cseq == nullptr || osip_list_size(&osip->vias) == 0) {
    fail(m.name + ": osip_message_parse failed");
  }
  osip_message_free(osip);
#endif
#ifdef OSPREY_BENCH_HAVE_SOFIA
  msg_t* msg = msg_make(sip_default_mclass(), 0, m.bytes.data(), static_cast<ssize_t>(m.bytes.size()));
  sip_t* sofia = msg != nullptr ? sip_object(msg) : nullptr;
  if (sofia == nullptr || msg_has_error(msg) || sofia->sip_call_id == nullptr || sofia->sip_cseq == nullptr ||
      sofia->sip_via == nullptr || sofia->sip_error != nullptr ||
      (parsed->body().size() != 0 &&
       (sofia->sip_payload == nullptr || sofia->sip_payload->pl_len != parsed->body().size()))) {
    fail(m.name + ": sofia-sip msg_make did not parse the whole message");
  }
  msg_destroy(msg);
#endif
}

// Allocations of one call of `parse`, averaged over a few calls (they are deterministic).
template <typename Parse>
double allocations_per_call(Parse&& parse) {
  constexpr int kCalls = 16;
  parse();  // warm-up: lazily initialised library state is not per message
  std::uint64_t before = osprey::bench::allocation_count();
  for (int i = 0; i < kCalls; ++i) parse();
  return static_cast<double>(osprey::bench::allocation_count() - before) / kCalls;
}

template <typename Parse>
void run(benchmark::State& state, const TestMessage& m, Parse&& parse) {
  double allocs = allocations_per_call(parse);
  for (auto _ : state) parse();
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(m.bytes.size()));
  state.counters["allocs"] = osprey::bench::allocation_counting_enabled() ? allocs : -1.0;
  state.counters["bytes"] = static_cast<double>(m.bytes.size());
}

void osprey_frame(benchmark::State& state, const TestMessage* m) {
  std::string_view bytes = m->bytes;
  run(state, *m, [bytes] {
    auto parsed = sip::Message::parse_borrowed(bytes);
    bool ok = parsed.has_value();
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(parsed);
  });
}

void osprey_full(benchmark::State& state, const TestMessage* m) {
  std::string_view bytes = m->bytes;
  run(state, *m, [bytes] {
    auto parsed = sip::Message::parse_borrowed(bytes);
    std::size_t touched = 0;
    if (parsed) {
      touched += sip::validate_headers(*parsed).has_value() ? 1 : 0;
      for (const sip::HeaderField& field : parsed->fields())
        touched += parsed->name(field).size() + parsed->value(field).size();
      touched += parsed->body().size();
    }
    benchmark::DoNotOptimize(touched);
  });
}

#ifdef OSPREY_BENCH_HAVE_OSIP
void osip_parse(benchmark::State& state, const TestMessage* m) {
  const std::string* bytes = &m->bytes;
  run(state, *m, [bytes] {
    osip_message_t* message = nullptr;
    osip_message_init(&message);
    int rc = osip_message_parse(message, bytes->data(), bytes->size());
    benchmark::DoNotOptimize(rc);
    osip_message_free(message);
  });
}
#endif

#ifdef OSPREY_BENCH_HAVE_SOFIA
void sofia_parse(benchmark::State& state, const TestMessage* m) {
  const std::string* bytes = &m->bytes;
  msg_mclass_t const* mclass = sip_default_mclass();
  run(state, *m, [bytes, mclass] {
    msg_t* msg = msg_make(mclass, 0, bytes->data(), static_cast<ssize_t>(bytes->size()));
    benchmark::DoNotOptimize(msg);
    msg_destroy(msg);
  });
}
#endif

}  // namespace

int main(int argc, char** argv) {
  if (osprey::bench::allocation_counting_enabled()) {
    // The interposed malloc must see both C and C++ allocations, or "allocs" would lie.
    void* (*volatile c_alloc)(std::size_t) = std::malloc;
    std::uint64_t before = osprey::bench::allocation_count();
    void* p = c_alloc(16);
    auto* q = new std::string(100, 'x');
    std::uint64_t seen = osprey::bench::allocation_count() - before;
    delete q;
    std::free(p);
    if (seen < 3) fail("the allocation counter does not see malloc/operator new calls");
  }
#ifdef OSPREY_BENCH_HAVE_OSIP
  parser_init();
#endif

  static const std::vector<TestMessage> messages = load_messages();
  for (const TestMessage& m : messages) {
    check_message(m);
    benchmark::RegisterBenchmark(("osprey/frame/" + m.name).c_str(), osprey_frame, &m);
    benchmark::RegisterBenchmark(("osprey/full/" + m.name).c_str(), osprey_full, &m);
#ifdef OSPREY_BENCH_HAVE_OSIP
    benchmark::RegisterBenchmark(("osip/" + m.name).c_str(), osip_parse, &m);
#endif
#ifdef OSPREY_BENCH_HAVE_SOFIA
    benchmark::RegisterBenchmark(("sofia/" + m.name).c_str(), sofia_parse, &m);
#endif
  }
  benchmark::AddCustomContext("messages", std::to_string(messages.size()));
#ifdef OSPREY_BENCH_HAVE_OSIP
  benchmark::AddCustomContext("libosip2", "yes");
#else
  benchmark::AddCustomContext("libosip2", "not found at configure time");
#endif
#ifdef OSPREY_BENCH_HAVE_SOFIA
  benchmark::AddCustomContext("sofia-sip", "yes");
#else
  benchmark::AddCustomContext("sofia-sip", "not found at configure time");
#endif

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
