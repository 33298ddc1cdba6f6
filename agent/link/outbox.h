// Outbox: the agent's durable queue of RunEvents the coordinator has not acknowledged yet,
// so a coordinator restart, a network cut or an agent restart loses no run event. Kept as
// one append-only record file in the agent's state dir, replayed on Open.
#ifndef BENCHLAB_AGENT_LINK_OUTBOX_H_
#define BENCHLAB_AGENT_LINK_OUTBOX_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "benchlab/v1/agent_link.pb.h"

namespace benchlab::agent::link {

// The outbox's only write path to the disk, so tests can simulate a full disk (ENOSPC)
// without a tiny file system. Default: ::write.
class OutboxFileWriter {
 public:
  virtual ~OutboxFileWriter() = default;
  // Same contract as ::write(2): bytes written, or -1 with errno set.
  virtual ssize_t Write(int fd, const void* data, size_t size);
};

struct OutboxOptions {
  // Cap on the bytes of events held. Over it, the OLDEST raw_log events are dropped (and
  // their lines counted); state, partial_metrics and result events are never dropped, so
  // the cap may be exceeded by them alone.
  uint64_t max_bytes = 64ull << 20;
  // raw_log events are written at once but fsynced lazily: on the next durable event,
  // or once this many bytes of them are unsynced.
  uint64_t lazy_sync_bytes = 1 << 20;
  // Compaction (rewrite live records, rename over) runs when the file is larger than
  // twice the live bytes AND larger than this (avoids rewriting tiny files constantly).
  uint64_t compact_min_file_bytes = 256 << 10;
  // Not owned; nullptr = ::write. Must outlive the Outbox.
  OutboxFileWriter* writer = nullptr;
};

// One held event and its position in the outbox (increasing in Add order; only
// meaningful within this process).
struct OutboxEntry {
  uint64_t seq = 0;
  benchlab::v1::RunEvent event;
};

// Thread-safe: every method may be called from any thread (one absl::Mutex; file I/O is
// done under it, so Add blocks for an fsync).
//
// File: <dir>/outbox.log, a sequence of records
//   u32 payload_length (LE) | u32 crc32c(type byte + payload) (LE) | u8 type | payload
// type 1 = add (payload: RunEvent), 2 = ack (payload: EventAck, the ids), 3 = dropped
// counter (payload: u64 LE total of raw log lines dropped so far).
class Outbox {
 public:
  // Opens (creating `dir` and the file if needed) and replays the file. A torn last
  // record (a crash mid-append) is ignored and cut off; a corrupt record before the end
  // is a DataLoss error naming the file and offset (move the file aside to start empty).
  static absl::StatusOr<std::unique_ptr<Outbox>> Open(const std::string& dir, OutboxOptions options = {});
  ~Outbox();
  Outbox(const Outbox&) = delete;
  Outbox& operator=(const Outbox&) = delete;

  // Appends `event` (event_id must be set and unique; adding an id already held is a
  // no-op). When it returns OK the event is on disk and fsynced, except raw_log events,
  // which are fsynced lazily but never reordered behind later events. On a write error
  // (e.g. ENOSPC -> ResourceExhausted) the event is still held in memory, so it is sent
  // and replayed while the process lives; the file is repaired by a rewrite on a later
  // call once the disk has room.
  absl::Status Add(const benchlab::v1::RunEvent& event);

  // Forgets these events (the coordinator applied them). Unknown ids are ignored. Not
  // fsynced: losing an ack in a crash only means a harmless replay.
  void Ack(const std::vector<std::string>& event_ids);

  // Every held event, oldest first.
  std::vector<benchlab::v1::RunEvent> Unacked() const;
  // Held events with seq > after_seq, oldest first, at most `max` of them.
  std::vector<OutboxEntry> UnackedAfter(uint64_t after_seq, size_t max) const;
  // The seq of the newest event added (0 when none ever was).
  uint64_t last_seq() const;
  // Distinct (run_id, attempt) of the held events, in order of first appearance.
  std::vector<benchlab::v1::ActiveRun> RunsWithUnackedEvents() const;
  // Raw log lines dropped by the size cap since the state dir was created (persisted).
  uint64_t dropped_log_lines() const;
  // Serialized bytes of the held events.
  uint64_t held_bytes() const;
  size_t size() const;
  // When the oldest held event was added (or replayed at Open); InfiniteFuture when none
  // is held (metrics: the outbox's age).
  absl::Time oldest_held_since() const;
  // Current size of the record file (for tests and metrics).
  uint64_t file_bytes() const;
  // fsyncs pending raw_log records now.
  absl::Status Sync();

  const std::string& path() const { return path_; }

 private:
  struct Held {
    benchlab::v1::RunEvent event;
    uint64_t bytes = 0;
    absl::Time held_since;  // added, or replayed from the file at Open
  };
  Outbox(std::string dir, OutboxOptions options);

  absl::Status Replay() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status OpenForAppend() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HoldLocked(benchlab::v1::RunEvent event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ForgetLocked(const std::string& event_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends records built by EncodeRecord; on failure cuts the file back and marks it
  // for a rewrite.
  absl::Status AppendLocked(const std::string& records, bool sync) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Rewrites the live records into a new file and renames it over the old one.
  absl::Status RewriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EnforceCapLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void MaybeCompactLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;
  const std::string path_;
  const OutboxOptions options_;
  OutboxFileWriter default_writer_;
  OutboxFileWriter* writer_;

  mutable absl::Mutex mu_;
  int fd_ ABSL_GUARDED_BY(mu_) = -1;
  uint64_t file_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t unsynced_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  // A write failed: the file misses records held in memory; rewrite before appending.
  bool needs_rewrite_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_seq_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, Held> held_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, uint64_t> seq_of_ ABSL_GUARDED_BY(mu_);
  std::set<uint64_t> raw_log_seqs_ ABSL_GUARDED_BY(mu_);  // droppable, oldest first
  uint64_t held_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t dropped_log_lines_ ABSL_GUARDED_BY(mu_) = 0;
};

// CRC-32C (Castagnoli) of `data`, as the record file uses it. Exposed for tests.
uint32_t Crc32c(const void* data, size_t size, uint32_t crc = 0);

}  // namespace benchlab::agent::link

#endif  // BENCHLAB_AGENT_LINK_OUTBOX_H_
