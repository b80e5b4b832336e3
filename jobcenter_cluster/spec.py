"""An adapter's spec: what a cluster product's agent calls need of it (the hot path).

Each adapter's entry point names an `AdapterSpec`, a few lines in the adapter's package
``__init__``: its actions, its exit codes, where the product passes arguments in the environment,
and where its meta-data comes from. ``jccluster agent ADAPTER monitor`` runs every few seconds on
every node and imports only this module, `jobcenter_cluster.outcome`, the spec and the engine's
status modules; the adapter class (options, validation, rendering, check rules) is imported by
`AdapterSpec.load` when something renders or checks.

So this module and the spec modules keep the hot-path style: no `typing` at run time (mypy honours
a module-level ``TYPE_CHECKING = False``), no dataclasses (they import `inspect`), no compiled
regular expressions. Everything off the path is ordinary typed Python. `tests/core/test_hot_path.py`
guards the path and ``benchmarks/bench_hotpath.py`` times it.
"""

from __future__ import annotations

from jobcenter_cluster.outcome import Outcome
from jobcenter_cluster.records import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from jobcenter_cluster.adapter import Adapter

#: Which outcomes each engine operation can end in (what an exit table must cover).
OUTCOMES_BY_OPERATION: dict[str, tuple[Outcome, ...]] = {
    "watch": (Outcome.SUCCESS, Outcome.FAILED, Outcome.UNRECOVERABLE, Outcome.INVALID,
              Outcome.NOT_INSTALLED),
    "start": (Outcome.SUCCESS, Outcome.FAILED, Outcome.UNRECOVERABLE, Outcome.INVALID,
              Outcome.NOT_INSTALLED),
    "background": (Outcome.SUCCESS, Outcome.FAILED, Outcome.UNRECOVERABLE, Outcome.INVALID,
                   Outcome.NOT_INSTALLED),
    "stop": (Outcome.SUCCESS, Outcome.FAILED, Outcome.INVALID),
    "status": (Outcome.RUNNING, Outcome.MAINTENANCE, Outcome.STOPPED, Outcome.FAILED,
               Outcome.UNRECOVERABLE, Outcome.INVALID, Outcome.NOT_INSTALLED),
    "validate": (Outcome.SUCCESS, Outcome.INVALID, Outcome.NOT_INSTALLED),
    "keep-port": (Outcome.SUCCESS, Outcome.FAILED, Outcome.INVALID),
    "meta-data": (Outcome.SUCCESS,),
    "unsupported": (Outcome.UNSUPPORTED,),
}
#: The engine operations an action may ask for.
OPERATIONS = tuple(OUTCOMES_BY_OPERATION)


class AgentAction(Record):
    """What one of the product's verbs asks of the engine.

    `operation` is one of `OPERATIONS`: ``watch`` (start if needed, then watch in the foreground
    until the site fails or is stopped), ``start`` (start, return once up, no watcher: ``cjcpw
    -c``), ``background`` (start with a detached watcher, return once up), ``stop``, ``status``,
    ``validate``, ``keep-port`` (hold the NQS port on the site address), ``meta-data`` (print the
    spec's meta-data), ``unsupported``.

    `timeout` and `interval` (seconds) are what the product is advised to allow the action, for
    products whose meta-data lists actions (an OCF agent's ``<actions>``, like resource-agents'
    ``ocf.py`` ``add_action()``): an action with a `timeout` is listed, one without is not.
    """

    __slots__ = ("operation", "help", "timeout", "interval")

    def __init__(self, operation: str, help: str = "", *, timeout: int | None = None,
                 interval: int | None = None) -> None:
        if operation not in OUTCOMES_BY_OPERATION:
            raise ValueError(f"unknown engine operation {operation!r} (one of {OPERATIONS})")
        self.operation = operation
        self.help = help
        self.timeout = timeout
        self.interval = interval


#: What almost every product reads as "all is well": exit 0.
ZERO_WHEN_WELL: dict[Outcome, int] = {Outcome.SUCCESS: 0, Outcome.RUNNING: 0,
                                      Outcome.MAINTENANCE: 0}


def exit_codes(*, each: Mapping[Outcome, int] | None = None,
               actions: Mapping[str, Mapping[Outcome, int]] | None = None,
               well: Mapping[Outcome, int] = ZERO_WHEN_WELL) -> dict[tuple[str, Outcome], int]:
    """An exit table: per-outcome defaults for every verb, then what single verbs do otherwise.

    `well` (exit 0 for success, running and maintenance unless given) and `each` apply to every
    verb (the ``("*", outcome)`` rows); `actions` maps a verb to the outcomes where it differs.
    A pair in neither gets the spec's `default_exit_code`.
    """
    table: dict[tuple[str, Outcome], int] = {}
    for outcome, code in {**well, **(each or {})}.items():
        table[("*", outcome)] = code
    for verb, codes in (actions or {}).items():
        for outcome, code in codes.items():
            table[(verb, outcome)] = code
    return table


#: The table of a product that reads 0 as success and anything else as failure, with LSB-like
#: status codes (0 running, 3 stopped) and 2 for a mistake in the arguments or configuration.
LSB_LIKE = exit_codes(each={Outcome.STOPPED: 3, Outcome.INVALID: 2})


def is_half_stopped(outcome: Outcome, details: Mapping[str, object] | None) -> bool:
    """Whether a status result is a half-stopped site: FAILED with processes of the site alive
    after a stop was recorded (state ``stopping``/``stopped``, or a stop that left processes:
    ``stop_failed``) or with the run state unreadable (`jobcenter_cluster.engine.status`); not a
    site that failed while it ran."""
    if outcome is not Outcome.FAILED or not details or not details.get("members"):
        return False
    return (details.get("state") in ("stopping", "stopped") or "unreadable" in details
            or bool(details.get("stop_failed")))


def resolve(target: str) -> object:
    """Import ``module:attr`` (``__import__``: `importlib` pulls in `warnings`)."""
    module, _, attr = target.partition(":")
    __import__(module)
    import sys

    obj: object = sys.modules[module]
    for part in attr.split(".") if attr else ():
        obj = getattr(obj, part)
    return obj


class AdapterSpec:
    """One adapter as the hot path sees it. The entry point names an instance of this.

    `adapter` is the ``module:Class`` of the `jobcenter_cluster.adapter.Adapter` subclass that
    renders and checks; `meta_data` the ``module:function`` returning the text a ``meta-data``
    action prints; `environment` maps the product's environment to agent arguments (see
    `agent_environment`). Both targets are imported only when used.

    `half_stopped` maps a status verb to its code for a *half-stopped* site (status FAILED
    because a stop was recorded, or the run state is unreadable, while processes of the site
    still live: `is_half_stopped`), where the product must not read the verb's FAILED code: VCS
    reads its monitor's OFFLINE after an offline as "stopped" and may start the group elsewhere.
    """

    __slots__ = ("name", "product", "actions", "exit_codes", "default_exit_code", "adapter",
                 "environment", "half_stopped", "_meta_data")

    def __init__(self, name: str, product: str, *, actions: Mapping[str, AgentAction],
                 exit_codes: Mapping[tuple[str, Outcome], int], adapter: str,
                 default_exit_code: int = 1,
                 environment: Callable[[Mapping[str, str]], dict[str, str]] | None = None,
                 meta_data: str | Callable[[], str] | None = None,
                 half_stopped: Mapping[str, int] | None = None) -> None:
        self.name = name
        self.product = product
        self.actions = dict(actions)
        self.exit_codes = dict(exit_codes)
        self.default_exit_code = default_exit_code
        self.adapter = adapter
        self.environment = environment
        self.half_stopped = dict(half_stopped or {})
        self._meta_data = meta_data

    def __repr__(self) -> str:
        return f"AdapterSpec({self.name!r}, adapter={self.adapter!r})"

    def exit_code(self, action: str, outcome: Outcome) -> int:
        """Translate an engine outcome into this product's exit code for `action`."""
        table = self.exit_codes
        if (action, outcome) in table:
            return table[(action, outcome)]
        if ("*", outcome) in table:
            return table[("*", outcome)]
        return self.default_exit_code

    def status_exit_code(self, action: str, outcome: Outcome,
                         details: Mapping[str, object] | None) -> int:
        """`exit_code`, except for a half-stopped site (`is_half_stopped`) when `half_stopped`
        names `action`."""
        if action in self.half_stopped and is_half_stopped(outcome, details):
            return self.half_stopped[action]
        return self.exit_code(action, outcome)

    def exit_table(self) -> list[tuple[str, Outcome, int]]:
        """Every ``(action, outcome, code)`` a user may meet, for docs and ``jccluster
        adapters``."""
        return [(verb, outcome, self.exit_code(verb, outcome))
                for verb, action in self.actions.items()
                for outcome in OUTCOMES_BY_OPERATION[action.operation]]

    def agent_environment(self, environ: Mapping[str, str]) -> dict[str, str]:
        """Agent arguments the product passes in its environment instead of the command line.

        Keys: ``site``, ``database``, ``root``, ``product``, ``config``, ``timeout``.
        Command-line arguments win. Example: Pacemaker's ``OCF_RESKEY_site`` becomes ``site``.
        """
        return self.environment(environ) if self.environment is not None else {}

    def meta_data(self) -> str:
        """What a ``meta-data`` action prints (e.g. an OCF agent's XML); empty without one."""
        if self._meta_data is None:
            return ""
        func = resolve(self._meta_data) if isinstance(self._meta_data, str) else self._meta_data
        return func()  # type: ignore[operator,no-any-return]

    def load(self) -> type[Adapter]:
        """The adapter class (imports its module: rendering, validation, check rules)."""
        cls = resolve(self.adapter)
        if getattr(cls, "spec", None) is not self:
            raise TypeError(f"{self.adapter} is not the adapter of this spec (its class must "
                            f"set spec = the {self.name} spec)")
        return cls  # type: ignore[return-value]
