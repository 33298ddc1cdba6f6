// Prints what each pki command made and the flags that use it, so the next step of the
// secure setup (README "A secure lab from zero") is on the screen.
#include "coordinator/pki_command.h"

#include "absl/strings/str_join.h"

namespace benchlab::coordinator {

void AddPkiCommand(CLI::App& app, PkiCommand* c) {
  c->pki = app.add_subcommand("pki", "make the lab's CA, the coordinator's and the agents' certificates");
  c->pki->require_subcommand(1);
  c->init = c->pki->add_subcommand("init", "make DIR with a CA (ca.pem, ca.key) and the server certificate");
  c->init->add_option("--dir", c->init_options.dir, "folder for the files (made if missing)")->required();
  c->init->add_option("--name", c->init_options.names,
                      "a host name or IP address agents and people dial (repeat; default: this host's "
                      "name, localhost, 127.0.0.1)");
  c->init->add_option("--ca-days", c->init_options.ca_days, "CA validity")->capture_default_str();
  c->init->add_option("--days", c->init_options.server_days, "server certificate validity")
      ->capture_default_str();
  c->issue_agent = c->pki->add_subcommand(
      "issue-agent", "an agent's client certificate, CN=NAME (its agent id): agent-NAME.pem/.key");
  c->issue_client = c->pki->add_subcommand(
      "issue-client", "a person's or service's client certificate, CN=NAME: client-NAME.pem/.key");
  for (CLI::App* sub : {c->issue_agent, c->issue_client}) {
    sub->add_option("NAME", c->name, "the certificate's common name")->required();
    sub->add_option("--dir", c->dir, "the folder of 'pki init' (its ca.pem and ca.key sign)")->required();
    sub->add_option("--days", c->days, "validity")->capture_default_str();
  }
}

int RunPkiCommand(const PkiCommand& c, std::ostream& out, std::ostream& err) {
  const bool init = c.init->parsed();
  const char* kind = c.issue_agent->parsed() ? "agent" : "client";
  const std::string command = init ? "init" : std::string("issue-") + kind;
  auto issued = init ? PkiInit(c.init_options) : PkiIssueClient(c.dir, kind, c.name, c.days);
  if (!issued.ok()) {
    err << "benchlab-coordinator pki " << command << ": " << issued.status().message() << "\n";
    return 1;
  }
  for (const std::string& f : issued->files) out << "wrote " << f << "\n";
  if (init) {
    const std::string& dir = c.init_options.dir;
    out << "server certificate names: " << absl::StrJoin(issued->names, ", ") << "\n"
        << "coordinator: --tls-cert " << dir << "/server.pem --tls-key " << dir << "/server.key --client-ca "
        << dir << "/ca.pem\n"
        << "next: benchlab-coordinator pki issue-agent NAME --dir " << dir << " for each agent host\n";
  } else if (c.issue_agent->parsed()) {
    out << "agent " << c.name << ": --tls-ca " << c.dir << "/ca.pem --tls-cert " << issued->files[0]
        << " --tls-key " << issued->files[1] << "\n";
  } else {
    out << "client " << c.name << ": benchlab ... --tls-ca " << c.dir << "/ca.pem --tls-cert " << issued->files[0]
        << " --tls-key " << issued->files[1] << "\n";
  }
  return 0;
}

}  // namespace benchlab::coordinator
