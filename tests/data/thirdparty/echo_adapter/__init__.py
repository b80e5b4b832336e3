"""A tiny third-party adapter, installed by the packaging test to prove that adapters are found
through the entry-point group alone (it is the example of jobcenter_cluster.adapter's docstring)."""

from jobcenter_cluster.adapter import Adapter, AgentAction, Artifact, Option
from jobcenter_cluster.outcome import Outcome


class EchoAdapter(Adapter):
    """Renders one shell script per site that starts the site under our engine."""

    name = "echo"
    product = "Echo Cluster 1.0"
    artifacts = ("{site}/start.sh",)
    options_schema = {"greeting": Option(str, "hello", "printed by start.sh")}
    agent_actions = {
        "start": AgentAction("watch", "start the site and watch it in the foreground"),
        "stop": AgentAction("stop", "stop the site"),
        "monitor": AgentAction("status", "0 running, 1 not running"),
    }
    exit_codes = {
        ("start", Outcome.SUCCESS): 0,
        ("stop", Outcome.SUCCESS): 0,
        ("monitor", Outcome.RUNNING): 0,
        ("monitor", Outcome.MAINTENANCE): 0,
    }
    default_exit_code = 1

    def render(self):
        from jobcenter_cluster.render import Renderer

        r = Renderer(self.name, self.template_dirs, package="echo_adapter.templates")
        return [
            Artifact(f"{site.short_name}/start.sh",
                     r.render("start.sh.j2", cluster=self.cluster, site=site, opts=self.options,
                              argv=self.agent_argv("start", site)), mode=0o755)
            for site in self.sites
        ]
