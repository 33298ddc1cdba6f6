// Outbox: an in-memory ordered map of held events mirrored by an append-only record file.
// Every change is appended first-class (add, ack, dropped counter); Open replays them.
#include "agent/link/outbox.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace benchlab::agent::link {

namespace v1 = benchlab::v1;

namespace {

constexpr uint8_t kRecordAdd = 1;
constexpr uint8_t kRecordAck = 2;
constexpr uint8_t kRecordDropped = 3;
constexpr size_t kHeaderBytes = 9;  // length, crc, type
// No single record is ever this large (events are capped far below by gRPC's limits);
// a larger length in the middle of the file means corruption.
constexpr uint32_t kMaxPayloadBytes = 256u << 20;

std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}

void PutU32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint32_t GetU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

void EncodeRecord(std::string* out, uint8_t type, const std::string& payload) {
  uint32_t crc = Crc32c(&type, 1);
  crc = Crc32c(payload.data(), payload.size(), crc);
  PutU32(out, static_cast<uint32_t>(payload.size()));
  PutU32(out, crc);
  out->push_back(static_cast<char>(type));
  out->append(payload);
}

std::string CounterPayload(uint64_t n) {
  std::string p;
  PutU32(&p, static_cast<uint32_t>(n & 0xffffffffu));
  PutU32(&p, static_cast<uint32_t>(n >> 32));
  return p;
}

absl::Status WriteError(const std::string& path, int err) {
  std::string msg = absl::StrCat("outbox ", path, ": write failed: ", std::strerror(err));
  if (err == ENOSPC || err == EDQUOT) {
    return absl::ResourceExhaustedError(
        absl::StrCat(msg, " (disk full; the event is kept in memory until there is room)"));
  }
  return absl::UnavailableError(msg);
}

// Writes all of `data` through `writer`; returns errno on failure (0 on success).
int WriteAll(OutboxFileWriter* writer, int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = writer->Write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    done += static_cast<size_t>(n);
  }
  return 0;
}

void SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

uint32_t Crc32c(const void* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = MakeCrcTable();
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

ssize_t OutboxFileWriter::Write(int fd, const void* data, size_t size) { return ::write(fd, data, size); }

Outbox::Outbox(std::string dir, OutboxOptions options)
    : dir_(std::move(dir)), path_(dir_ + "/outbox.log"), options_(options) {
  writer_ = options_.writer ? options_.writer : &default_writer_;
}

Outbox::~Outbox() {
  absl::MutexLock l(&mu_);
  if (fd_ >= 0) {
    if (unsynced_bytes_ > 0) ::fdatasync(fd_);
    ::close(fd_);
  }
}

absl::StatusOr<std::unique_ptr<Outbox>> Outbox::Open(const std::string& dir, OutboxOptions options) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("outbox: cannot create ", dir, ": ", ec.message()));
  std::unique_ptr<Outbox> box(new Outbox(dir, options));
  absl::MutexLock l(&box->mu_);
  if (auto st = box->Replay(); !st.ok()) return st;
  if (auto st = box->OpenForAppend(); !st.ok()) return st;
  box->MaybeCompactLocked();
  return box;
}

absl::Status Outbox::Replay() {
  std::string data;
  {
    int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT) return absl::OkStatus();
      return absl::UnavailableError(absl::StrCat("outbox ", path_, ": cannot open: ", std::strerror(errno)));
    }
    char buf[1 << 16];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int err = errno;
        ::close(fd);
        return absl::UnavailableError(absl::StrCat("outbox ", path_, ": read failed: ", std::strerror(err)));
      }
      if (n == 0) break;
      data.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
  }

  size_t off = 0;
  while (off < data.size()) {
    const size_t left = data.size() - off;
    if (left < kHeaderBytes) break;  // torn header at the tail
    uint32_t len = GetU32(data.data() + off);
    uint32_t crc = GetU32(data.data() + off + 4);
    const bool fits = len <= kMaxPayloadBytes && kHeaderBytes + len <= left;
    const bool is_last = fits && off + kHeaderBytes + len == data.size();
    if (!fits) {
      if (len <= kMaxPayloadBytes) break;  // record cut short by a crash: torn tail
      return absl::DataLossError(absl::StrCat("outbox ", path_, ": corrupt record at offset ", off,
                                              " (impossible length); move the file aside to start empty"));
    }
    const char* body = data.data() + off + 8;  // type byte + payload
    if (Crc32c(body, 1 + len) != crc) {
      if (is_last) break;  // a torn last record
      return absl::DataLossError(absl::StrCat("outbox ", path_, ": corrupt record at offset ", off,
                                              " (checksum mismatch); move the file aside to start empty"));
    }
    const uint8_t type = static_cast<uint8_t>(body[0]);
    const char* payload = body + 1;
    switch (type) {
      case kRecordAdd: {
        v1::RunEvent e;
        if (!e.ParseFromArray(payload, static_cast<int>(len))) {
          return absl::DataLossError(absl::StrCat("outbox ", path_, ": unreadable event at offset ", off));
        }
        if (!seq_of_.contains(e.event_id())) HoldLocked(std::move(e));
        break;
      }
      case kRecordAck: {
        v1::EventAck ack;
        if (!ack.ParseFromArray(payload, static_cast<int>(len))) {
          return absl::DataLossError(absl::StrCat("outbox ", path_, ": unreadable ack at offset ", off));
        }
        for (const auto& id : ack.event_ids()) ForgetLocked(id);
        break;
      }
      case kRecordDropped:
        if (len == 8) dropped_log_lines_ = GetU32(payload) | (static_cast<uint64_t>(GetU32(payload + 4)) << 32);
        break;
      default:
        return absl::DataLossError(absl::StrCat("outbox ", path_, ": unknown record type ", type, " at offset ", off));
    }
    off += kHeaderBytes + len;
  }
  file_bytes_ = off;
  if (off < data.size()) {
    spdlog::warn("event=outbox_torn_tail path={} kept_bytes={} dropped_bytes={}", path_, off, data.size() - off);
    if (::truncate(path_.c_str(), static_cast<off_t>(off)) != 0) {
      return absl::UnavailableError(absl::StrCat("outbox ", path_, ": cannot cut torn tail: ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

absl::Status Outbox::OpenForAppend() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) return absl::UnavailableError(absl::StrCat("outbox ", path_, ": cannot open: ", std::strerror(errno)));
  return absl::OkStatus();
}

void Outbox::HoldLocked(v1::RunEvent event) {
  const uint64_t seq = next_seq_++;
  Held h;
  h.held_since = absl::Now();
  h.bytes = event.ByteSizeLong();
  h.event = std::move(event);
  held_bytes_ += h.bytes;
  seq_of_[h.event.event_id()] = seq;
  if (h.event.has_raw_log()) raw_log_seqs_.insert(seq);
  held_.emplace(seq, std::move(h));
}

void Outbox::ForgetLocked(const std::string& event_id) {
  auto it = seq_of_.find(event_id);
  if (it == seq_of_.end()) return;
  auto h = held_.find(it->second);
  held_bytes_ -= h->second.bytes;
  raw_log_seqs_.erase(it->second);
  held_.erase(h);
  seq_of_.erase(it);
}

absl::Status Outbox::AppendLocked(const std::string& records, bool sync) {
  if (needs_rewrite_ || fd_ < 0) return RewriteLocked();
  if (int err = WriteAll(writer_, fd_, records); err != 0) {
    // Cut back any partial record so later appends stay readable; if even that fails,
    // the next call rewrites the whole file.
    if (::ftruncate(fd_, static_cast<off_t>(file_bytes_)) != 0) needs_rewrite_ = true;
    needs_rewrite_ = true;  // the file now lacks what memory holds
    return WriteError(path_, err);
  }
  file_bytes_ += records.size();
  unsynced_bytes_ += records.size();
  if (sync || unsynced_bytes_ >= options_.lazy_sync_bytes) {
    if (::fdatasync(fd_) != 0) {
      needs_rewrite_ = true;
      return WriteError(path_, errno);
    }
    unsynced_bytes_ = 0;
  }
  return absl::OkStatus();
}

absl::Status Outbox::RewriteLocked() {
  std::string content;
  if (dropped_log_lines_ > 0) EncodeRecord(&content, kRecordDropped, CounterPayload(dropped_log_lines_));
  std::string payload;
  for (const auto& [seq, h] : held_) {
    payload.clear();
    h.event.SerializeToString(&payload);
    EncodeRecord(&content, kRecordAdd, payload);
  }
  const std::string tmp = path_ + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    needs_rewrite_ = true;
    return WriteError(tmp, errno);
  }
  int err = WriteAll(writer_, fd, content);
  if (err == 0 && ::fdatasync(fd) != 0) err = errno;
  ::close(fd);
  if (err == 0 && ::rename(tmp.c_str(), path_.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    needs_rewrite_ = true;
    return WriteError(path_, err);
  }
  SyncDir(dir_);
  file_bytes_ = content.size();
  unsynced_bytes_ = 0;
  needs_rewrite_ = false;
  if (auto st = OpenForAppend(); !st.ok()) {
    needs_rewrite_ = true;
    return st;
  }
  return absl::OkStatus();
}

absl::Status Outbox::Add(const v1::RunEvent& event) {
  if (event.event_id().empty()) return absl::InvalidArgumentError("outbox: event without event_id");
  absl::MutexLock l(&mu_);
  if (seq_of_.contains(event.event_id())) return absl::OkStatus();
  const bool durable = !event.has_raw_log();
  std::string records;
  EncodeRecord(&records, kRecordAdd, event.SerializeAsString());
  HoldLocked(event);

  // Over the cap: drop the oldest raw log events; never a state, metrics or result event.
  std::vector<std::string> dropped_ids;
  uint64_t dropped_lines = 0;
  while (held_bytes_ > options_.max_bytes && !raw_log_seqs_.empty()) {
    const auto& e = held_.at(*raw_log_seqs_.begin()).event;
    dropped_lines += e.raw_log().lines_size();
    dropped_ids.push_back(e.event_id());
    ForgetLocked(dropped_ids.back());
  }
  if (!dropped_ids.empty()) {
    dropped_log_lines_ += dropped_lines;
    spdlog::warn("event=outbox_dropped_log_lines path={} lines={} total={}", path_, dropped_lines,
                 dropped_log_lines_);
    v1::EventAck ack;
    for (auto& id : dropped_ids) ack.add_event_ids(std::move(id));
    EncodeRecord(&records, kRecordAck, ack.SerializeAsString());
    EncodeRecord(&records, kRecordDropped, CounterPayload(dropped_log_lines_));
  }
  absl::Status st = AppendLocked(records, durable);
  if (!st.ok()) {
    spdlog::error("event=outbox_write_failed id={} error=\"{}\"", event.event_id(), st.ToString());
    return st;
  }
  MaybeCompactLocked();
  return absl::OkStatus();
}

void Outbox::Ack(const std::vector<std::string>& event_ids) {
  absl::MutexLock l(&mu_);
  v1::EventAck ack;
  for (const auto& id : event_ids) {
    if (!seq_of_.contains(id)) continue;
    ForgetLocked(id);
    ack.add_event_ids(id);
  }
  if (ack.event_ids_size() == 0) return;
  std::string records;
  EncodeRecord(&records, kRecordAck, ack.SerializeAsString());
  if (auto st = AppendLocked(records, /*sync=*/false); !st.ok()) {
    // Memory is right; the file is rewritten on a later call.
    spdlog::warn("event=outbox_ack_write_failed error=\"{}\"", st.ToString());
    return;
  }
  MaybeCompactLocked();
}

void Outbox::MaybeCompactLocked() {
  // What a rewrite would leave: the counter record plus one add record per held event.
  const uint64_t live = kHeaderBytes + 8 + held_bytes_ + held_.size() * kHeaderBytes;
  if (file_bytes_ <= 2 * live || file_bytes_ <= options_.compact_min_file_bytes) return;
  const uint64_t before = file_bytes_;
  if (auto st = RewriteLocked(); !st.ok()) {
    spdlog::warn("event=outbox_compact_failed error=\"{}\"", st.ToString());
    return;
  }
  spdlog::debug("event=outbox_compacted path={} before_bytes={} after_bytes={}", path_, before, file_bytes_);
}

std::vector<v1::RunEvent> Outbox::Unacked() const {
  absl::MutexLock l(&mu_);
  std::vector<v1::RunEvent> out;
  out.reserve(held_.size());
  for (const auto& [seq, h] : held_) out.push_back(h.event);
  return out;
}

std::vector<OutboxEntry> Outbox::UnackedAfter(uint64_t after_seq, size_t max) const {
  absl::MutexLock l(&mu_);
  std::vector<OutboxEntry> out;
  for (auto it = held_.upper_bound(after_seq); it != held_.end() && out.size() < max; ++it) {
    out.push_back(OutboxEntry{it->first, it->second.event});
  }
  return out;
}

uint64_t Outbox::last_seq() const {
  absl::MutexLock l(&mu_);
  return next_seq_ - 1;
}

std::vector<v1::ActiveRun> Outbox::RunsWithUnackedEvents() const {
  absl::MutexLock l(&mu_);
  std::vector<v1::ActiveRun> out;
  std::set<std::pair<std::string, int>> seen;
  for (const auto& [seq, h] : held_) {
    if (!seen.insert({h.event.run_id(), h.event.attempt()}).second) continue;
    v1::ActiveRun r;
    r.set_run_id(h.event.run_id());
    r.set_attempt(h.event.attempt());
    out.push_back(std::move(r));
  }
  return out;
}

uint64_t Outbox::dropped_log_lines() const {
  absl::MutexLock l(&mu_);
  return dropped_log_lines_;
}

absl::Time Outbox::oldest_held_since() const {
  absl::MutexLock l(&mu_);
  return held_.empty() ? absl::InfiniteFuture() : held_.begin()->second.held_since;
}

uint64_t Outbox::held_bytes() const {
  absl::MutexLock l(&mu_);
  return held_bytes_;
}

size_t Outbox::size() const {
  absl::MutexLock l(&mu_);
  return held_.size();
}

uint64_t Outbox::file_bytes() const {
  absl::MutexLock l(&mu_);
  return file_bytes_;
}

absl::Status Outbox::Sync() {
  absl::MutexLock l(&mu_);
  if (needs_rewrite_) return RewriteLocked();
  if (fd_ < 0 || unsynced_bytes_ == 0) return absl::OkStatus();
  if (::fdatasync(fd_) != 0) return WriteError(path_, errno);
  unsynced_bytes_ = 0;
  return absl::OkStatus();
}

}  // namespace benchlab::agent::link
