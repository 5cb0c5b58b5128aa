#pragma once
// A TransactionEnv for tests: records every send, timer and upcall, and keeps a virtual clock so
// a test can run a machine's timers in deadline order (advance_to) and check exact schedules.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "sip/message.hpp"
#include "txn/transaction_env.hpp"

namespace osprey::txn::testing {

struct Sent {
  Milliseconds at;
  std::string bytes;
};

class FakeEnv : public TransactionEnv {
 public:
  bool send(std::string_view bytes) override {
    if (fail_sends) return false;
    sent.push_back({now, std::string(bytes)});
    return true;
  }
  void start_timer(TimerName name, Milliseconds duration) override {
    running[name] = now + duration;
    durations[name] = duration;
    starts.push_back({name, duration});
  }
  void stop_timer(TimerName name) override { running.erase(name); }
  void deliver_response(const sip::Message& response) override {
    delivered.push_back(response.status());
    events.push_back("response " + std::to_string(response.status()));
  }
  void timed_out() override { events.push_back("timed_out"); }
  void transport_failed() override { events.push_back("transport_failed"); }
  void deliver_ack(const sip::Message& ack) override {
    events.push_back("ack " + std::string(ack.method_text()));
  }
  void terminated() override { events.push_back("terminated"); }

  bool is_running(TimerName name) const { return running.count(name) != 0; }
  // The duration the timer was last started with (0 if never).
  Milliseconds duration(TimerName name) const {
    auto it = durations.find(name);
    return it == durations.end() ? Milliseconds(0) : it->second;
  }

  // Fires the running timers due by `until` in deadline order, moving the clock to each
  // deadline, then moves the clock to `until`. Timers the machine starts meanwhile fire too.
  template <typename Machine>
  void advance_to(Machine& machine, Milliseconds until) {
    for (;;) {
      auto next = running.end();
      for (auto it = running.begin(); it != running.end(); ++it) {
        if (it->second <= until && (next == running.end() || it->second < next->second)) next = it;
      }
      if (next == running.end()) break;
      TimerName name = next->first;
      now = next->second;
      running.erase(next);
      machine.on_timer(name);
    }
    now = until;
  }

  // Fires one timer now (as if it expired), whether or not it runs.
  template <typename Machine>
  void fire(Machine& machine, TimerName name) {
    running.erase(name);
    machine.on_timer(name);
  }

  std::vector<Milliseconds> send_times() const {
    std::vector<Milliseconds> times;
    for (const Sent& s : sent) times.push_back(s.at);
    return times;
  }

  bool fail_sends = false;
  Milliseconds now{0};
  std::vector<Sent> sent;
  std::map<TimerName, Milliseconds> running;  // name -> deadline
  std::map<TimerName, Milliseconds> durations;
  std::vector<std::pair<TimerName, Milliseconds>> starts;
  std::vector<int> delivered;
  std::vector<std::string> events;  // upcalls in order
};

}  // namespace osprey::txn::testing
