"""The per-service summary of a policy document, as the console's policy page shows it:
for each service the statements name, the effect, the access (full, or the actions
listed), the resources and whether a condition applies. Read from the document as
written (``NotAction`` and ``NotResource`` are shown as exceptions), not evaluated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from iamd.policy.document import statement_objects
from iamd.services.iam.access_advisor import known_actions, service_name

ALL_SERVICES = "*"


@dataclass
class ServiceSummary:
    namespace: str
    name: str
    effect: str
    full: bool = False
    actions: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)  # from NotAction
    resources: set[str] = field(default_factory=set)
    conditions: set[str] = field(default_factory=set)

    @property
    def access(self) -> str:
        if self.excluded:
            return "All actions except: " + ", ".join(sorted(self.excluded))
        if self.full:
            return "Full access"
        known = len(known_actions().get(self.namespace, ()))
        count = f"{len(self.actions)} of {known}" if known >= len(self.actions) and known else str(len(self.actions))
        return f"Limited: {count} actions ({', '.join(sorted(self.actions))})"

    @property
    def resource_text(self) -> str:
        return "All resources" if "*" in self.resources else ", ".join(sorted(self.resources))

    @property
    def condition_text(self) -> str:
        return ", ".join(sorted(self.conditions)) if self.conditions else "None"


def _list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def summarize(document: str) -> list[ServiceSummary]:
    """The document's services, denials first, then by service name; [] for a document
    that is not a JSON policy."""
    found: dict[tuple[str, str], ServiceSummary] = {}
    for statement in statement_objects(document):
        effect = "Deny" if statement.get("Effect") == "Deny" else "Allow"
        resources = _list(statement.get("Resource"))
        not_resources = _list(statement.get("NotResource"))
        condition = statement.get("Condition")
        keys = {key for block in condition.values() if isinstance(block, dict) for key in block} \
            if isinstance(condition, dict) else set()
        named = [("action", a) for a in _list(statement.get("Action"))]
        named += [("not", a) for a in _list(statement.get("NotAction"))]
        for how, action in named:
            namespace, _, action_name = action.partition(":") if action != "*" else (ALL_SERVICES, "", "*")
            # NotAction reaches every service but the actions it names.
            namespace = ALL_SERVICES if how == "not" else namespace.lower()
            entry = found.setdefault((effect, namespace), ServiceSummary(
                namespace, "All services" if namespace == ALL_SERVICES else service_name(namespace), effect,
            ))
            if how == "not":
                entry.excluded.add(action)
            elif action_name == "*":
                entry.full = True
            else:
                entry.actions.add(action_name)
            entry.resources.update(resources)
            entry.resources.update(f"all except {r}" for r in not_resources)
            entry.conditions.update(keys)
    return sorted(found.values(), key=lambda s: (s.effect != "Deny", s.namespace != ALL_SERVICES, s.name.lower()))
