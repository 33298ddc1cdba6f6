// agent/adb against an in-process fake adb server: framing, FAIL mapping, devices-l,
// track-devices snapshots and re-attach, shell v2 packets and v1 exit markers split across
// reads, sync records straddling reads, early FAIL on push, install paths, deadlines.
#include <sys/resource.h>
#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "agent/adb/adb_client.h"
#include "agent/adb/adb_protocol.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/ports.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/adb_fake_server.h"

namespace benchlab::adb {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::FakeAdbServer;
using testing::FakeConn;
using testing::SyncRecord;
using testing::SyncU32;
using testing::V2Packet;

absl::Time Soon() { return absl::Now() + absl::Seconds(5); }
constexpr char kSerial[] = "127.0.0.1:40001";
constexpr char kMarker[] = "x4BENCHLAB_EXIT:";

// ---- Codecs ----

TEST(AdbProtocol, FramesRequestsWithHex4Length) {
  EXPECT_EQ(*FrameRequest("host:version"), "000chost:version");
  EXPECT_FALSE(FrameRequest("").ok());
  EXPECT_FALSE(FrameRequest(std::string(70000, 'x')).ok());
  EXPECT_EQ(ParseHex4("0029"), 41);
  EXPECT_EQ(ParseHex4("002B"), 43);
  EXPECT_EQ(ParseHex4("00g1"), -1);
}

TEST(AdbProtocol, ParsesCapturedDevicesLines) {
  // The lines captured from adb 29.0.6 (adb-protocol.md section 1.2), plus a USB phone.
  std::vector<AdbDevice> devices = ParseDevicesList(
      "127.0.0.1:15555        device product:fake_prod model:Fake_Model device:fake_dev "
      "transport_id:1\n"
      "127.0.0.1:15559        unauthorized transport_id:5\n"
      "R58M123ABC             device usb:1-1 product:a52q model:SM_A525F device:a52q "
      "transport_id:12\n"
      "(no serial number)     offline transport_id:7\n");
  ASSERT_EQ(devices.size(), 4u);
  EXPECT_EQ(devices[0], (AdbDevice{"127.0.0.1:15555", "device", "", "fake_prod", "Fake_Model",
                                   "fake_dev", 1}));
  EXPECT_EQ(devices[1], (AdbDevice{"127.0.0.1:15559", "unauthorized", "", "", "", "", 5}));
  EXPECT_EQ(devices[2].devpath, "usb:1-1");
  EXPECT_EQ(devices[2].model, "SM_A525F");
  EXPECT_EQ(devices[2].transport_id, 12);
  EXPECT_EQ(devices[3].serial, "(no serial number)");
  EXPECT_EQ(devices[3].state, "offline");
  EXPECT_TRUE(ParseDevicesList("").empty());
  EXPECT_TRUE(ParseDevicesList("garbage without id\n").empty());
}

TEST(AdbProtocol, ShellV2ParserReassemblesAtEverySplitPoint) {
  const std::string wire = V2Packet(1, "hello\n") + V2Packet(2, "oops") + V2Packet(1, "") +
                           V2Packet(3, std::string(1, '\x03'));
  for (size_t split = 0; split <= wire.size(); ++split) {
    ShellV2Parser parser;
    std::string out, err;
    int exit_code = -1;
    auto on = [&](uint8_t id, absl::string_view p) {
      if (id == 1) out.append(p.data(), p.size());
      if (id == 2) err.append(p.data(), p.size());
      if (id == 3) exit_code = static_cast<uint8_t>(p[0]);
    };
    parser.Feed(absl::string_view(wire).substr(0, split), on);
    parser.Feed(absl::string_view(wire).substr(split), on);
    EXPECT_EQ(out, "hello\n") << split;
    EXPECT_EQ(err, "oops") << split;
    EXPECT_EQ(exit_code, 3) << split;
    EXPECT_FALSE(parser.mid_packet());
  }
}

TEST(AdbProtocol, FailReasonsBecomeActionableStatuses) {
  absl::Status s = FailToStatus("device X",
                                "device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("accept the RSA prompt on the phone"));
  EXPECT_EQ(FailToStatus("device X", "device offline").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FailToStatus("device X", "device 'X' not found").code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(FailToStatus("device X", "device 'X' not found").message(), HasSubstr("no such device"));
}

// ---- Host queries ----

TEST(AdbClient, VersionSendsFramedRequest) {
  FakeAdbServer server;
  AdbClient client(server.Connector());
  EXPECT_EQ(*client.ServerVersion(Soon()), 41);
  EXPECT_THAT(server.Requests(), ElementsAre("host:version"));
}

TEST(AdbClient, DevicesAreParsed) {
  FakeAdbServer server;
  server.host_handler = [](FakeConn& c, const std::string& req) {
    if (req != "host:devices-l") return false;
    c.OkayProto(
        "127.0.0.1:40001        device product:p model:Pixel_7 device:d transport_id:3\n"
        "127.0.0.1:40002        offline transport_id:4\n");
    return true;
  };
  AdbClient client(server.Connector());
  absl::StatusOr<std::vector<AdbDevice>> devices = client.Devices(Soon());
  ASSERT_TRUE(devices.ok()) << devices.status();
  ASSERT_EQ(devices->size(), 2u);
  EXPECT_EQ((*devices)[0].model, "Pixel_7");
  EXPECT_EQ((*devices)[1].state, "offline");
}

TEST(AdbClient, GetStateOfUnknownSerialIsNotFound) {
  FakeAdbServer server;
  server.host_handler = [](FakeConn& c, const std::string& req) {
    c.Fail("device 'nosuch' not found");
    return true;
  };
  AdbClient client(server.Connector());
  absl::StatusOr<std::string> state = client.GetState("nosuch", Soon());
  EXPECT_EQ(state.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(state.status().message(), HasSubstr("nosuch"));
  EXPECT_THAT(server.Requests(), ElementsAre("host-serial:nosuch:get-state"));
}

TEST(AdbClient, ConnectChecksTheMessageBecauseTheServerSaysOkayAnyway) {
  FakeAdbServer server;
  server.host_handler = [](FakeConn& c, const std::string& req) {
    if (req == "host:connect:127.0.0.1:1") {
      c.OkayProto("failed to connect to '127.0.0.1:1': Connection refused");
    } else {
      c.OkayProto("connected to 127.0.0.1:2");
    }
    return true;
  };
  AdbClient client(server.Connector());
  absl::StatusOr<std::string> bad = client.ConnectDevice("127.0.0.1:1", Soon());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(bad.status().message(), HasSubstr("Connection refused"));
  EXPECT_EQ(*client.ConnectDevice("127.0.0.1:2", Soon()), "connected to 127.0.0.1:2");
}

TEST(AdbClient, DeadlineFiresWhenTheServerNeverAnswers) {
  FakeAdbServer server;
  server.host_handler = [](FakeConn& c, const std::string&) {
    (void)c.ReadAll();  // holds the connection open until the client gives up
    return true;
  };
  AdbClient client(server.Connector());
  const absl::Time start = absl::Now();
  absl::StatusOr<int> v = client.ServerVersion(absl::Now() + absl::Milliseconds(200));
  EXPECT_EQ(v.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

TEST(AdbClient, DeadServerIsUnavailable) {
  FakeAdbServer server;
  server.refuse = true;
  AdbClient client(server.Connector());
  EXPECT_EQ(client.ServerVersion(Soon()).status().code(), absl::StatusCode::kUnavailable);
}

TEST(AdbTcpConnector, NothingListeningAndNoAdbBinarySaysWhatToDo) {
  TcpConnectorOptions options;
  options.port = benchlab::testing::FreePort();
  options.adb_path = "/nonexistent/adb";
  AdbClient client(MakeTcpAdbConnector(options));
  absl::Status s = client.ServerVersion(Soon()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("could not start it"));
  options.start_server = false;
  AdbClient client2(MakeTcpAdbConnector(options));
  EXPECT_THAT(client2.ServerVersion(Soon()).status().message(), HasSubstr("no adb server"));
}

TEST(AdbTcpConnector, PortComesFromTheEnvironment) {
  setenv("ANDROID_ADB_SERVER_PORT", "6123", 1);
  EXPECT_EQ(ResolveAdbServerPort({}), 6123);
  TcpConnectorOptions options;
  options.port = 7000;
  EXPECT_EQ(ResolveAdbServerPort(options), 7000);
  unsetenv("ANDROID_ADB_SERVER_PORT");
  EXPECT_EQ(ResolveAdbServerPort({}), 5037);
}

// ---- Transport selection and features ----

TEST(AdbClient, UnauthorizedDeviceSaysAcceptThePrompt) {
  FakeAdbServer server;
  server.host_handler = [](FakeConn& c, const std::string& req) {
    if (!absl::StartsWith(req, "host:tport:")) return false;
    c.Fail("device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\nTry 'adb "
           "kill-server' if that seems wrong.\nOtherwise check for a confirmation dialog on your "
           "device.");
    return true;
  };
  AdbClient client(server.Connector());
  absl::Status s = client.Shell(kSerial, "true", Soon()).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("accept the RSA prompt"));
  EXPECT_THAT(s.message(), HasSubstr(kSerial));
}

TEST(AdbClient, FallsBackToHostTransportWhenTportIsUnknown) {
  FakeAdbServer server;
  server.tport_supported = false;
  server.service_handler = [](FakeConn& c, const std::string&) {
    c.Okay();
    c.Write(V2Packet(1, "hi\n") + V2Packet(3, std::string(1, '\0')));
  };
  AdbClient client(server.Connector());
  absl::StatusOr<ShellResult> r = client.Shell(kSerial, "echo hi", Soon());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_data, "hi\n");
  EXPECT_EQ(server.Count("host:transport:127.0.0.1:40001"), 1);
}

TEST(AdbClient, FeaturesAreCachedPerTransportIdAndRequeriedOnReconnect) {
  FakeAdbServer server;
  server.service_handler = [](FakeConn& c, const std::string&) {
    c.Okay();
    c.Write(V2Packet(3, std::string(1, '\0')));
  };
  AdbClient client(server.Connector());
  ASSERT_TRUE(client.Shell(kSerial, "true", Soon()).ok());
  ASSERT_TRUE(client.Shell(kSerial, "true", Soon()).ok());
  EXPECT_EQ(server.Count("host-serial:127.0.0.1:40001:features"), 1);
  server.devices[0].transport_id = 9;  // the phone reconnected
  ASSERT_TRUE(client.Shell(kSerial, "true", Soon()).ok());
  EXPECT_EQ(server.Count("host-serial:127.0.0.1:40001:features"), 2);
}

TEST(AdbClient, FeaturesAreIntersectedWithTheServers) {
  FakeAdbServer server;
  server.host_features = "cmd";
  AdbClient client(server.Connector());
  absl::StatusOr<AdbFeatures> f = client.Features(kSerial, Soon());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->Has("cmd"));
  EXPECT_FALSE(f->Has("shell_v2"));
}

// ---- Shell ----

TEST(AdbClient, ShellV2SplitsStdoutStderrAndExitAcrossReads) {
  FakeAdbServer server;
  server.service_handler = [](FakeConn& c, const std::string& service) {
    EXPECT_EQ(service, "shell,v2,raw:ls /nope; echo done");
    c.Okay();
    c.WriteSplit(V2Packet(2, "ls: /nope: No such file\n") + V2Packet(1, "done\n") +
                     V2Packet(3, std::string(1, '\x02')),
                 3);
  };
  AdbClient client(server.Connector());
  absl::StatusOr<ShellResult> r = client.Shell(kSerial, "ls /nope; echo done", Soon());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_data, "done\n");
  EXPECT_EQ(r->stderr_data, "ls: /nope: No such file\n");
  EXPECT_EQ(r->exit_code, 2);
  EXPECT_TRUE(r->shell_v2);
}

TEST(AdbClient, ShellV2WithoutExitPacketIsAnError) {
  FakeAdbServer server;
  server.service_handler = [](FakeConn& c, const std::string&) {
    c.Okay();
    c.Write(V2Packet(1, "partial"));
  };
  AdbClient client(server.Connector());
  EXPECT_EQ(client.Shell(kSerial, "x", Soon()).status().code(), absl::StatusCode::kUnavailable);
}

TEST(AdbClient, ShellV1RecoversExitCodeFromMarkerSplitAcrossReads) {
  FakeAdbServer server;
  server.devices[0].features = "";  // an old phone: v1 shell only
  server.service_handler = [](FakeConn& c, const std::string& service) {
    EXPECT_EQ(service, absl::StrCat("shell:false; echo ", kMarker, "$?"));
    c.Okay();
    c.WriteSplit(absl::StrCat("no newline at end", kMarker, "1\n"), 5);
  };
  AdbClient client(server.Connector());
  absl::StatusOr<ShellResult> r = client.Shell(kSerial, "false", Soon());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_data, "no newline at end");
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_FALSE(r->shell_v2);
}

TEST(AdbClient, ShellV1MarkerWithCrLfFromOldPtyDevices) {
  FakeAdbServer server;
  server.devices[0].features = "";
  server.service_handler = [](FakeConn& c, const std::string&) {
    c.Okay();
    c.Write(absl::StrCat("a\r\n", kMarker, "127\r\n"));
  };
  AdbClient client(server.Connector());
  absl::StatusOr<ShellResult> r = client.Shell(kSerial, "nosuchcmd", Soon());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->stdout_data, "a\r\n");
  EXPECT_EQ(r->exit_code, 127);
}

TEST(AdbClient, ShellStreamingDeliversChunksAtOnceAndCancelsFromAnotherThread) {
  FakeAdbServer server;
  server.service_handler = [](FakeConn& c, const std::string&) {
    c.Okay();
    c.Write(V2Packet(1, "first\n"));
    (void)c.ReadAll();  // like logcat: runs until the client closes
  };
  AdbClient client(server.Connector());
  AdbCancel cancel;
  absl::Notification got_first;
  std::thread canceller([&] {
    got_first.WaitForNotification();
    cancel.Cancel();
  });
  std::string out;
  absl::StatusOr<int> code = client.ShellStreaming(
      kSerial, "logcat",
      [&](ShellStream, absl::string_view b) {
        out.append(b.data(), b.size());
        if (!got_first.HasBeenNotified()) got_first.Notify();
      },
      &cancel, absl::InfiniteFuture());
  canceller.join();
  EXPECT_EQ(code.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(out, "first\n");
}

TEST(AdbClient, StreamingDeadlineFires) {
  FakeAdbServer server;
  server.service_handler = [](FakeConn& c, const std::string&) {
    c.Okay();
    (void)c.ReadAll();
  };
  AdbClient client(server.Connector());
  absl::StatusOr<int> code = client.ShellStreaming(
      kSerial, "sleep 100", [](ShellStream, absl::string_view) {}, nullptr,
      absl::Now() + absl::Milliseconds(300));
  EXPECT_EQ(code.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(code.status().message(), HasSubstr("timeout"));
}

TEST(AdbClient, UnknownServiceIsRefused) {
  FakeAdbServer server;  // default service handler answers FAIL closed
  AdbClient client(server.Connector());
  absl::StatusOr<std::string> out = client.Exec(kSerial, "x", Soon());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(AdbClient, TooLongServiceStringIsRefusedLocally) {
  FakeAdbServer server;
  AdbClient client(server.Connector());
  EXPECT_EQ(client.Shell(kSerial, std::string(5000, 'x'), Soon()).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// ---- Logcat ----

TEST(AdbClient, LogcatDeliversCompleteLinesWithCrLfStripped) {
  FakeAdbServer server;
  server.service_handler = [](FakeConn& c, const std::string& service) {
    EXPECT_EQ(service, "shell,v2,raw:logcat -v threadtime -T '1700000000.000' '-s' 'tflite'");
    c.Okay();
    c.WriteSplit(V2Packet(1, "11-25 10:04:31.319  2638  2638 I tflite  : one\r\n11-25 10:04:31.320  "
                             "2638  2639 E tflite  : two\n") +
                     V2Packet(1, "partial") + V2Packet(1, " end\n"),
                 7);
    (void)c.ReadAll();
  };
  AdbClient client(server.Connector());
  AdbCancel cancel;
  std::vector<std::string> lines;
  std::vector<std::string> tags;
  LogcatOptions options;
  options.since = "1700000000.000";
  options.extra_args = {"-s", "tflite"};
  absl::Status s = client.LogcatEntries(
      kSerial, options,
      [&](const LogcatLine& e) {
        lines.push_back(std::string(e.message));
        tags.push_back(absl::StrCat(std::string(e.tag), "/", e.pid, "/", e.tid, "/",
                                    std::string(1, e.priority ? e.priority : '-')));
        if (lines.size() == 3) cancel.Cancel();
      },
      &cancel, Soon());
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(lines, ElementsAre("one", "two", "partial end"));
  EXPECT_EQ(tags[0], "tflite/2638/2638/I");
  EXPECT_EQ(tags[1], "tflite/2638/2639/E");
}

TEST(AdbClient, LogcatOnV1HasNoMarkerAndFlushesLinesAtOnce) {
  absl::Notification line_seen;  // declared first: the server's threads use it
  FakeAdbServer server;
  server.devices[0].features = "";
  server.service_handler = [&](FakeConn& c, const std::string& service) {
    EXPECT_EQ(service, "shell:logcat -v threadtime -T 1");
    c.Okay();
    c.Write("line one\r\n");
    // The line must reach the client while logcat is still running.
    EXPECT_TRUE(line_seen.WaitForNotificationWithTimeout(absl::Seconds(5)));
    c.ShutdownWrite();
  };
  AdbClient client(server.Connector());
  std::vector<std::string> lines;
  absl::Status s = client.Logcat(
      kSerial, {},
      [&](absl::string_view l) {
        lines.emplace_back(l);
        line_seen.Notify();
      },
      nullptr, Soon());
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(lines, ElementsAre("line one"));
}

// ---- Track devices ----

TEST(AdbClient, TrackDevicesDeliversFullSnapshotsAndReattachesAfterEof) {
  std::atomic<int> attaches{0};
  FakeAdbServer server;
  server.host_handler = [&](FakeConn& c, const std::string& req) {
    if (req != "host:track-devices-l") return false;
    int n = ++attaches;
    c.Okay();
    if (n == 1) {
      // Two devices in one message, then one update; then the server "restarts" (EOF).
      c.WriteSplit(FakeConn::Proto("127.0.0.1:40001        device transport_id:1\n"
                                   "127.0.0.1:40002        offline transport_id:2\n") +
                       FakeConn::Proto("127.0.0.1:40001        device transport_id:1\n"),
                   11);
      return true;
    }
    c.Write(FakeConn::Proto(""));
    (void)c.ReadAll();
    return true;
  };
  AdbClient client(server.Connector());
  AdbCancel cancel;
  std::vector<size_t> sizes;
  std::vector<std::string> second_serials;
  absl::Status s = client.TrackDevices(
      [&](const std::vector<AdbDevice>& devices) {
        sizes.push_back(devices.size());
        if (sizes.size() == 1) {
          for (const AdbDevice& d : devices) second_serials.push_back(d.serial);
        }
        if (sizes.size() == 3) cancel.Cancel();
      },
      &cancel);
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  EXPECT_THAT(sizes, ElementsAre(2u, 1u, 0u));
  EXPECT_THAT(second_serials, ElementsAre("127.0.0.1:40001", "127.0.0.1:40002"));
  EXPECT_EQ(attaches.load(), 2);
}

TEST(AdbClient, TrackDevicesCancelsWhileWaitingForAServer) {
  FakeAdbServer server;
  server.refuse = true;
  AdbClient client(server.Connector());
  AdbCancel cancel;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    cancel.Cancel();
  });
  const absl::Time start = absl::Now();
  absl::Status s = client.TrackDevices([](const std::vector<AdbDevice>&) {}, &cancel);
  t.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

// ---- Sync ----

// Serves one sync: session: answers STA2/STAT for `dir_path` as a directory, records a SEND.
struct SyncCapture {
  std::string send_arg;
  std::string data;
  uint32_t mtime = 0;
  std::vector<std::string> ids;
  absl::Notification quit;  // the client sent QUIT
};

void ServeSyncPush(FakeConn& c, SyncCapture* cap, const std::string& dir_path) {
  c.Okay();
  for (;;) {
    std::optional<std::string> hdr = c.Read(8);
    if (!hdr) return;
    std::string id = hdr->substr(0, 4);
    uint32_t len = GetU32(hdr->data() + 4);
    cap->ids.push_back(id);
    if (id == "QUIT") {
      cap->quit.Notify();
      return;
    }
    if (id == "STA2") {
      std::string path = *c.Read(len);
      std::string rec = "STA2";
      rec += std::string(68, '\0');
      uint32_t err = path == dir_path ? 0 : 2;
      std::memcpy(rec.data() + 4, &err, 4);
      uint32_t mode = 040771;
      if (err == 0) std::memcpy(rec.data() + 24, &mode, 4);
      c.WriteSplit(rec, 13);
    } else if (id == "SEND") {
      cap->send_arg = *c.Read(len);
      for (;;) {
        std::optional<std::string> h = c.Read(8);
        if (!h) return;
        uint32_t n = GetU32(h->data() + 4);
        if (h->substr(0, 4) == "DONE") {
          cap->mtime = n;
          break;
        }
        EXPECT_EQ(h->substr(0, 4), "DATA");
        EXPECT_LE(n, 65536u);
        cap->data += *c.Read(n);
      }
      c.Write(SyncU32("OKAY", 0));
    } else {
      (void)c.Read(len);
      c.Write(SyncRecord("FAIL", "unexpected"));
    }
  }
}

TEST(AdbClient, PushFileToDirectoryAppendsBasenameAndSendsAllBytes) {
  benchlab::testing::TempDir tmp;
  const std::string local = tmp.path() + "/model.tflite";
  std::string content;
  for (int i = 0; i < 300000; ++i) content.push_back(static_cast<char>(i * 7));
  ASSERT_TRUE(benchlab::testing::WriteFile(local, content));
  SyncCapture cap;
  FakeAdbServer server;
  server.service_handler = [&](FakeConn& c, const std::string& service) {
    ASSERT_EQ(service, "sync:");
    ServeSyncPush(c, &cap, "/data/local/tmp");
  };
  AdbClient client(server.Connector());
  uint64_t last_progress = 0;
  absl::Status s = client.Push(kSerial, local, "/data/local/tmp", Soon(),
                               [&](uint64_t done, uint64_t total) {
                                 EXPECT_EQ(total, content.size());
                                 last_progress = done;
                               });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(cap.send_arg.substr(0, cap.send_arg.find(',')), "/data/local/tmp/model.tflite");
  EXPECT_EQ(cap.data, content);
  EXPECT_EQ(last_progress, content.size());
  ASSERT_TRUE(cap.quit.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_THAT(cap.ids, ElementsAre("STA2", "SEND", "QUIT"));
}

TEST(AdbClient, PushBytesSendsDecimalModeAndDone) {
  SyncCapture cap;
  FakeAdbServer server;
  server.service_handler = [&](FakeConn& c, const std::string&) { ServeSyncPush(c, &cap, ""); };
  AdbClient client(server.Connector());
  ASSERT_TRUE(client.PushBytes(kSerial, "hello\n", "/data/local/tmp/x.txt", 0644, Soon()).ok());
  EXPECT_EQ(cap.send_arg, "/data/local/tmp/x.txt,33188");
  EXPECT_EQ(cap.data, "hello\n");
  EXPECT_GT(cap.mtime, 1600000000u);
}

TEST(AdbClient, PushStopsEarlyOnFail) {
  std::atomic<size_t> discarded{0};
  absl::Notification drained;
  FakeAdbServer server;
  server.service_handler = [&](FakeConn& c, const std::string&) {
    c.Okay();
    std::optional<std::string> hdr = c.Read(8);
    (void)c.Read(GetU32(hdr->data() + 4));
    c.Write(SyncRecord("FAIL", "couldn't create file: Read-only file system"));
    discarded = c.ReadAll().size();  // like adbd: discard until the client goes
    drained.Notify();
  };
  AdbClient client(server.Connector());
  const std::string big(64 << 20, 'x');
  absl::Status s = client.PushBytes(kSerial, big, "/system/x", 0644, Soon());
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("Read-only file system"));
  ASSERT_TRUE(drained.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_LT(discarded.load(), big.size() / 2) << "the client kept sending after FAIL";
}

TEST(AdbClient, PullReassemblesRecordsStraddlingReads) {
  std::string content;
  for (int i = 0; i < 150000; ++i) content.push_back(static_cast<char>('a' + i % 26));
  FakeAdbServer server;
  server.service_handler = [&](FakeConn& c, const std::string&) {
    c.Okay();
    std::optional<std::string> hdr = c.Read(8);
    EXPECT_EQ(hdr->substr(0, 4), "RECV");
    EXPECT_EQ(*c.Read(GetU32(hdr->data() + 4)), "/sdcard/out.txt");
    std::string wire;
    for (size_t off = 0; off < content.size(); off += 65536) {
      wire += SyncRecord("DATA", content.substr(off, 65536));
    }
    wire += SyncU32("DONE", 0);
    c.WriteSplit(wire, 65531);  // never aligned with the 8-byte headers
    (void)c.ReadAll();
  };
  AdbClient client(server.Connector());
  absl::StatusOr<std::string> got = client.PullBytes(kSerial, "/sdcard/out.txt", Soon());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, content);
}

TEST(AdbClient, PullMissingFileIsNotFound) {
  FakeAdbServer server;
  server.service_handler = [&](FakeConn& c, const std::string&) {
    c.Okay();
    std::optional<std::string> hdr = c.Read(8);
    (void)c.Read(GetU32(hdr->data() + 4));
    c.Write(SyncRecord("FAIL", "open failed: No such file or directory"));
    (void)c.ReadAll();
  };
  AdbClient client(server.Connector());
  EXPECT_EQ(client.PullBytes(kSerial, "/nope", Soon()).status().code(), absl::StatusCode::kNotFound);
}

// Found by agent_adb_fuzz: a FAIL record's length came from the wire unchecked, so a
// 9-byte reply (FAIL + 1.8 GB) made the client allocate and zero 1.8 GB before reading.
TEST(AdbClient, SyncFailWithAHugeLengthIsAProtocolFaultNotAnAllocation) {
  FakeAdbServer server;
  server.service_handler = [&](FakeConn& c, const std::string&) {
    c.Okay();
    for (;;) {
      std::optional<std::string> hdr = c.Read(8);
      if (!hdr || hdr->substr(0, 4) == "QUIT") return;
      (void)c.Read(GetU32(hdr->data() + 4));
      c.Write(SyncU32("FAIL", 0x70000000) + "open failed");
    }
  };
  auto peak_rss_kb = [] {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
  };
  const long before = peak_rss_kb();
  AdbClient client(server.Connector());
  absl::Status pull = client.PullBytes(kSerial, "/sdcard/out.txt", Soon()).status();
  EXPECT_EQ(pull.code(), absl::StatusCode::kInternal) << pull;
  EXPECT_THAT(pull.message(), HasSubstr("FAIL message of 1879048192 bytes"));
  absl::Status stat = client.Stat(kSerial, "/sdcard/out.txt", Soon()).status();
  EXPECT_EQ(stat.code(), absl::StatusCode::kInternal) << stat;
  EXPECT_THAT(stat.message(), HasSubstr("FAIL message of 1879048192 bytes"));
  EXPECT_LT(peak_rss_kb() - before, 256 * 1024) << "peak RSS grew by that many KiB";
}

TEST(AdbClient, StatV1ReportsMissingAsAllZeros) {
  FakeAdbServer server;
  server.devices[0].features = "shell_v2";
  server.service_handler = [&](FakeConn& c, const std::string&) {
    c.Okay();
    for (;;) {
      std::optional<std::string> hdr = c.Read(8);
      if (!hdr || hdr->substr(0, 4) == "QUIT") return;
      EXPECT_EQ(hdr->substr(0, 4), "STAT");
      std::string path = *c.Read(GetU32(hdr->data() + 4));
      if (path == "/f") {
        std::string r = SyncU32("STAT", 0100644);
        r += SyncU32("", 42) + SyncU32("", 1700000000);
        c.Write(r);
      } else {
        c.Write(SyncU32("STAT", 0) + SyncU32("", 0) + SyncU32("", 0));
      }
    }
  };
  AdbClient client(server.Connector());
  absl::StatusOr<RemoteStat> f = client.Stat(kSerial, "/f", Soon());
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE(f->exists);
  EXPECT_EQ(f->size_bytes, 42u);
  EXPECT_EQ(f->mode, 0100644u);
  EXPECT_EQ(f->mtime_s, 1700000000);
  EXPECT_FALSE(client.Stat(kSerial, "/missing", Soon())->exists);
}

// ---- Install ----

class InstallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    apk_ = tmp_.path() + "/app.apk";
    apk_bytes_ = std::string(100000, 'P');
    ASSERT_TRUE(benchlab::testing::WriteFile(apk_, apk_bytes_));
  }
  benchlab::testing::TempDir tmp_;
  std::string apk_;
  std::string apk_bytes_;
};

TEST_F(InstallTest, AbbExecStreamsExactlySizeBytes) {
  std::string got;
  FakeAdbServer server;
  server.service_handler = [&](FakeConn& c, const std::string& service) {
    using std::string_literals::operator""s;
    EXPECT_EQ(service, "abb_exec:package\0install\0-r\0-d\0-g\0-S\0" "100000"s);
    c.Okay();
    got = *c.Read(100000);
    c.Write("Success\n");
  };
  AdbClient client(server.Connector());
  absl::Status s = client.Install(kSerial, apk_, Soon());
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(got, apk_bytes_);
}

TEST_F(InstallTest, CmdPathAndFailureReason) {
  FakeAdbServer server;
  server.devices[0].features = "shell_v2,cmd";
  server.service_handler = [&](FakeConn& c, const std::string& service) {
    EXPECT_EQ(service, "exec:cmd package 'install' '-r' '-d' '-g' -S 100000");
    c.Okay();
    (void)c.Read(100000);
    c.Write("Failure [INSTALL_FAILED_INVALID_APK: not an apk]\n");
  };
  AdbClient client(server.Connector());
  absl::Status s = client.Install(kSerial, apk_, Soon());
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("install failed: Failure [INSTALL_FAILED_INVALID_APK"));
}

TEST_F(InstallTest, LegacyPushesThenPmInstallThenRm) {
  SyncCapture cap;
  FakeAdbServer server;
  server.devices[0].features = "";
  server.service_handler = [&](FakeConn& c, const std::string& service) {
    if (service == "sync:") {
      ServeSyncPush(c, &cap, "");
      return;
    }
    c.Okay();
    if (absl::StartsWith(service, "shell:pm ")) {
      c.Write(absl::StrCat("Success\n", kMarker, "0\n"));
    } else {
      c.Write(absl::StrCat(kMarker, "0\n"));
    }
  };
  AdbClient client(server.Connector());
  absl::Status s = client.Install(kSerial, apk_, Soon());
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(cap.data, apk_bytes_);
  EXPECT_EQ(cap.send_arg, "/data/local/tmp/app.apk,33188");
  std::vector<std::string> shells;
  for (const std::string& r : server.Requests()) {
    if (absl::StartsWith(r, "shell:")) shells.push_back(r);
  }
  EXPECT_THAT(shells, ElementsAre(absl::StrCat("shell:pm 'install' '-r' '-d' '-g' "
                                               "'/data/local/tmp/app.apk'; echo ", kMarker, "$?"),
                                  absl::StrCat("shell:rm '/data/local/tmp/app.apk' </dev/null; echo ",
                                               kMarker, "$?")));
}

}  // namespace
}  // namespace benchlab::adb
