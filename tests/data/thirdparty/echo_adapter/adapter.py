"""The echo adapter's rendering (imported only by ``jccluster render|check|graph``)."""

from echo_adapter import SPEC
from jobcenter_cluster.adapter import Adapter, Artifact, Option


class EchoAdapter(Adapter):
    """Renders one shell script per site that starts the site under our engine."""

    spec = SPEC
    artifacts = ("{site}/start.sh",)
    options_schema = {"greeting": Option(str, "hello", "printed by start.sh")}

    def render(self) -> list[Artifact]:
        from jobcenter_cluster.render import Renderer

        r = Renderer(self.name, self.template_dirs, package="echo_adapter.templates")
        return [
            Artifact(f"{site.short_name}/start.sh",
                     r.render("start.sh.j2", cluster=self.cluster, site=site, opts=self.options,
                              argv=self.agent_argv("start", site)), mode=0o755)
            for site in self.sites
        ]
