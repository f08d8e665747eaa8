"""How features plug into the core engine, which knows none of them.

A feature (documents, incidents, reporting, Circular 124…) describes itself as a `Feature`: the service-task
handlers its diagrams call, defaults for its form field types, and how it takes part in message delivery. The
application builds one `Cascade` and registers every feature (`engine.create_engine`); the core calls them
only through this registry.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from engine.core.errors import EngineError
from engine.core.forms import FIELD_ERROR_MESSAGES
from engine.core.ports import InstanceRecord, MessageRecord, Store
from engine.core.runtime import ServiceCall

if TYPE_CHECKING:
    from engine.core.cascade import Cascade

ServiceHandler = Callable[["Cascade", Store, InstanceRecord, ServiceCall], dict]
FieldDefault = Callable[[Store, InstanceRecord], Any]


class DeliveryMemo:
    """What one delivery run reads again and again and what cannot change under it (the deployed versions it
    starts, issued documents): a cache per run, forgotten on rollback."""

    def __init__(self) -> None:
        self._values: dict[Any, Any] = {}

    def clear(self) -> None:
        self._values.clear()

    def get(self, key: Any, load: Callable[[], Any]) -> Any:
        if key not in self._values:
            self._values[key] = load()
        return self._values[key]


@dataclass(frozen=True)
class Feature:
    """One feature's hooks. Every hook is optional.

    - `services`: service-task handlers by the `service` name the diagrams give.
    - `field_defaults`: a default value per form field type, for a task page's prefill (e.g. a recipient list).
    - `field_errors`: the feature's form error codes with their (Vietnamese, English) messages.
    - `message_target(store, message, memo)`: the instance a message without an explicit target goes to
      (e.g. a response to a directive goes to the issuer's follow-up), or None when the feature does not know it.
    - `before_delivery(store, message, payload, memo)`: adds to a message's payload under the target instance's
      lock (e.g. how many reports are in, the response recorded on the directive).
    - `instance_title(store, message, title, memo)`: the title of an instance a message starts.
    - `after_start(store, message, instance_id)`: records that a message started an instance.
    - `subject(message)`: what an instance a message starts is about (e.g. `period:12`), its business key with
      the process and the organisation: the database holds one instance per key, so a message delivered twice
      cannot start a second one.
    """

    name: str
    services: Mapping[str, ServiceHandler] = field(default_factory=dict)
    field_defaults: Mapping[str, FieldDefault] = field(default_factory=dict)
    field_errors: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    message_target: Callable[[Store, MessageRecord, DeliveryMemo], int | None] | None = None
    before_delivery: Callable[[Store, MessageRecord, dict, DeliveryMemo], None] | None = None
    instance_title: Callable[[Store, MessageRecord, str, DeliveryMemo], str] | None = None
    after_start: Callable[[Store, MessageRecord, int], None] | None = None
    subject: Callable[[MessageRecord], str | None] | None = None


class Registry:
    """The features registered with one engine, in registration order."""

    def __init__(self) -> None:
        self.features: list[Feature] = []
        self.services: dict[str, ServiceHandler] = {}
        self.field_defaults: dict[str, FieldDefault] = {}

    def register(self, feature: Feature) -> None:
        clash = (set(feature.services) & set(self.services)) | (set(feature.field_defaults) & set(self.field_defaults))
        if clash:
            raise EngineError(f"feature '{feature.name}' registers names already taken: {sorted(clash)}")
        self.features.append(feature)
        self.services.update(feature.services)
        self.field_defaults.update(feature.field_defaults)
        for code, messages in feature.field_errors.items():
            FIELD_ERROR_MESSAGES.setdefault(code, messages)

    def service(self, name: str, bpmn_id: str) -> ServiceHandler:
        handler = self.services.get(name)
        if handler is None:
            raise EngineError(f"unknown service '{name}' in task {bpmn_id}")
        return handler

    def message_target(self, store: Store, message: MessageRecord, memo: DeliveryMemo) -> int | None:
        for feature in self.features:
            if feature.message_target is not None:
                target = feature.message_target(store, message, memo)
                if target is not None:
                    return target
        return None

    def before_delivery(self, store: Store, message: MessageRecord, payload: dict, memo: DeliveryMemo) -> None:
        for feature in self.features:
            if feature.before_delivery is not None:
                feature.before_delivery(store, message, payload, memo)

    def instance_title(self, store: Store, message: MessageRecord, title: str, memo: DeliveryMemo) -> str:
        for feature in self.features:
            if feature.instance_title is not None:
                title = feature.instance_title(store, message, title, memo)
        return title

    def subject(self, message: MessageRecord) -> str | None:
        for feature in self.features:
            if feature.subject is not None:
                subject = feature.subject(message)
                if subject is not None:
                    return subject
        return None

    def after_start(self, store: Store, message: MessageRecord, instance_id: int) -> None:
        for feature in self.features:
            if feature.after_start is not None:
                feature.after_start(store, message, instance_id)
