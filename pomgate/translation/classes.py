"""Which Ingresses the controller manages (IngressClass selection, controller.md §2)."""

from __future__ import annotations

from pomgate.kube.inventory import Inventory
from pomgate.kube.models import Ingress
from pomgate.translation.options import TranslateOptions

LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class"
DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class"
_GO_TRUE = frozenset({"1", "t", "T", "true", "True", "TRUE"})


class ClassSelector:
    """Answers "does this controller manage that Ingress?" like upstream.

    IngressClasses come from the input; when the input does not define the class named by
    ``options.assumed_ingress_class``, one with that name and this controller is assumed to exist
    (Helm installs it; repositories rarely hold it).
    """

    def __init__(self, inventory: Inventory, options: TranslateOptions) -> None:
        self.options = options
        self.controllers: dict[str, str] = {
            name: typed.model.spec.controller for name, typed in inventory.ingress_classes.items()
        }
        assumed = options.assumed_ingress_class
        if assumed and assumed not in self.controllers:
            self.controllers[assumed] = options.controller_name
        self.has_default = any(
            typed.model.spec.controller == options.controller_name
            and typed.model.metadata.annotation_map.get(DEFAULT_CLASS_ANNOTATION, "") in _GO_TRUE
            for typed in inventory.ingress_classes.values()
        )

    def class_name(self, ingress: Ingress) -> str:
        spec = ingress.spec
        if spec is not None and spec.ingressClassName is not None:
            return spec.ingressClassName
        return ingress.metadata.annotation_map.get(LEGACY_CLASS_ANNOTATION, "")

    def is_managed(self, ingress: Ingress) -> tuple[bool, str | None]:
        """(managed, reason when not) for one Ingress."""
        meta = ingress.metadata
        if self.options.namespaces and meta.namespace not in self.options.namespaces:
            return False, (
                f"ingress {meta.namespace}/{meta.name} is not in the namespace list this controller is managing"
            )
        name = self.class_name(ingress)
        controller = self.options.controller_name
        if not name:
            if self.has_default:
                return True, None
            return False, (
                "the ingress did not specify an ingressClass, and no ingressClass managed by controller "
                f"{controller} is marked as default"
            )
        if self.controllers.get(name) == controller:
            return True, None
        return False, f"IngressClass {name} not found or is not assigned to this controller {controller}"
