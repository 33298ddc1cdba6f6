// `benchlab artifact list|pin|unpin`: the coordinator's artifacts and their retention.
// `list` (read role) is a table of every artifact with its size, when it was stored and
// last used by a job, and its pin; `pin`/`unpin SHA256` (admin role, audit-logged) keep an
// artifact whatever --artifact-retention-days says, or let retention apply again.
#include <memory>
#include <ostream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cli/commands.h"
#include "cli/lab_connection.h"
#include "cli/lab_format.h"
#include "cli/table.h"
#include "common/terminal_text.h"

namespace benchlab::cli {
namespace {

namespace v1 = benchlab::v1;

struct ArtifactFlags {
  LabOptions lab;
  std::string sha256;
  bool json = false;
};

std::string KindName(v1::ArtifactKind kind) {
  switch (kind) {
    case v1::ARTIFACT_KIND_MODEL: return "model";
    case v1::ARTIFACT_KIND_APK: return "apk";
    case v1::ARTIFACT_KIND_BINARY: return "binary";
    default: return absl::StrCat(static_cast<int>(kind));
  }
}

std::string LastUsed(const v1::ArtifactRef& a) {
  if (a.in_use()) return "in use";
  return a.last_used_unix_ms() == 0 ? "never" : FormatUnixMs(a.last_used_unix_ms());
}

int RunList(const ArtifactFlags& flags, const CliIo& io) {
  v1::ListArtifactsRequest req;
  v1::ListArtifactsResponse resp;
  if (int code = CallLab(flags.lab, "artifact list", "listing artifacts", &v1::Lab::Stub::ListArtifacts, req, &resp,
                         io);
      code != kExitOk) {
    return code;
  }
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
    return kExitOk;
  }
  if (resp.artifacts().empty()) {
    *io.out << "no artifacts on the coordinator\n";
    return kExitOk;
  }
  // Table escapes control characters in every cell (names come from uploaders).
  Table table({"SHA256", "KIND", "NAME", "SIZE", "STORED", "LAST USED", "PINNED"});
  for (const auto& a : resp.artifacts()) {
    table.AddRow({a.sha256(), KindName(a.kind()), a.name().empty() ? "-" : a.name(), absl::StrCat(a.size_bytes()),
                  FormatUnixMs(a.stored_unix_ms()), LastUsed(a), a.pinned() ? "yes" : "no"});
  }
  *io.out << table.Render();
  *io.out << (resp.retention_days() > 0
                  ? absl::StrCat("retention: unpinned artifacts unused for ", FormatNumber(resp.retention_days()),
                                 " days are deleted\n")
                  : std::string("retention: off (artifacts are kept)\n"));
  return kExitOk;
}

int RunPin(const ArtifactFlags& flags, bool pinned, const CliIo& io) {
  const char* command = pinned ? "artifact pin" : "artifact unpin";
  v1::PinArtifactRequest req;
  req.set_sha256(flags.sha256);
  req.set_pinned(pinned);
  v1::PinArtifactResponse resp;
  if (int code = CallLab(flags.lab, command, absl::StrCat(pinned ? "pinning " : "unpinning ", flags.sha256),
                         &v1::Lab::Stub::PinArtifact, req, &resp, io);
      code != kExitOk) {
    return code;
  }
  if (flags.json) {
    *io.out << ToJson(resp) << "\n";
    return kExitOk;
  }
  const v1::ArtifactRef& a = resp.artifact();
  *io.out << a.sha256() << " (" << EscapeForTerminal(a.name()) << ") "
          << (pinned ? "pinned: retention keeps it" : "unpinned: retention applies") << "\n";
  return kExitOk;
}

}  // namespace

void RegisterArtifactCommand(CLI::App& app, const CliIo& io, int* exit_code) {
  CLI::App* artifact = app.add_subcommand("artifact", "The coordinator's artifacts: list, pin, unpin (retention)");
  artifact->require_subcommand(1);
  // One flags struct per subcommand (see device_command.cc: CLI11 fills unselected ones too).
  auto flags = std::make_shared<ArtifactFlags>();
  CLI::App* list = artifact->add_subcommand("list", "Every artifact: kind, name, size, stored, last used, pinned");
  list->add_flag("--json", flags->json, "print the ListArtifactsResponse as JSON");
  AddLabOptions(list, &flags->lab);
  list->callback([flags, io, exit_code] { *exit_code = RunList(*flags, io); });
  for (bool pinned : {true, false}) {
    flags = std::make_shared<ArtifactFlags>();
    CLI::App* cmd = artifact->add_subcommand(
        pinned ? "pin" : "unpin", pinned ? "Keep an artifact whatever its age (admin)"
                                         : "Let retention delete an artifact again once unused (admin)");
    cmd->add_option("sha256", flags->sha256, "the artifact's SHA-256, as `benchlab artifact list` shows it")
        ->required();
    cmd->add_flag("--json", flags->json, "print the response as JSON");
    AddLabOptions(cmd, &flags->lab);
    cmd->callback([flags, pinned, io, exit_code] { *exit_code = RunPin(*flags, pinned, io); });
  }
}

}  // namespace benchlab::cli
