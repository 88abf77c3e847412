"""A stand-in Kubernetes API server for end-to-end tests: the real REST + watch protocol over a TCP socket.

Usage::

    with StandInApiServer() as api:                 # 127.0.0.1, a free port; StandInApiServer(8001) for a fixed one
        kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig")
        api.create(ingress)                         # synchronous helpers: create/replace/patch/delete/get/list/load
        ...                                         # a controller process or kubectl talks HTTP to api.url
        api.stop(); api.start()                     # a restart: same port, same objects (etcd survives)

    python -m tests.standin --port 8001 --kubeconfig /tmp/kubeconfig --load objects.yaml

Modules: ``resources`` (the served kinds and their discovery data), ``store`` (objects, resourceVersions, history,
watchers), ``selectors``, ``patches``, ``emulator`` (HTTP, built on kmock's ``KubernetesEmulator``), ``server``
(the thread, the helpers, fault injection).

Served: core/v1 namespaces (cluster-scoped, +status), services (+status), endpoints, secrets, configmaps, events;
networking.k8s.io/v1 ingresses (+status), ingressclasses (cluster-scoped); discovery.k8s.io/v1 endpointslices;
coordination.k8s.io/v1 leases; events.k8s.io/v1 events (the same stored objects as core/v1 events, converted:
regarding/note/reportingController <-> involvedObject/message/reportingComponent, ...).

Semantics (as the real API server, unless noted):

- One global resourceVersion counter; every effective write bumps it and stamps the object. A write that changes
  nothing (an identical PUT or patch) keeps the old resourceVersion and sends no event, as the real server does.
- Create sets uid, creationTimestamp, generation=1 and the namespace from the URL; a given resourceVersion or uid
  is dropped. A change of ``spec`` bumps generation. ``generateName`` works.
- Kinds with a status subresource: PUT/PATCH of ``.../NAME/status`` change only ``.status``; writes to the object
  keep the stored status; POST resets it (``{"loadBalancer": {}}``). The helpers ``create``/``load`` instead *seed*
  objects as given: uid, creationTimestamp, generation and status are kept (resourceVersion is still ignored).
- LIST: ``{"kind": "<Kind>List", "apiVersion", "metadata": {"resourceVersion"}, "items"}``; items are sorted by
  (namespace, name) and, like the real server's, carry no apiVersion/kind (GET and watch events do). ``limit`` and
  ``continue`` paginate (pages after the first read the current state, not a snapshot). The ``resourceVersion``
  parameter of a LIST is ignored: it always serves the current state.
- fieldSelector: ``metadata.name``, ``metadata.namespace``; core events also ``involvedObject.{kind,namespace,name,
  uid,apiVersion,resourceVersion,fieldPath}``, ``reason``, ``reportingComponent``, ``source``, ``type``;
  events.k8s.io events ``regarding.*``, ``reason``, ``reportingController``, ``type``; secrets ``type``; namespaces
  ``status.phase``; with ``=``, ``==``, ``!=``; other fields are 400 "field label not supported". labelSelector:
  ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``, ``a``, ``!a``.
- WATCH (``watch=true|1``, per namespace or cluster-wide, also on a named URL): ``resourceVersion=N`` replays every
  retained event after N, then live events; N older than the retained history (``history_limit`` events, or
  ``compact_history()``) gets one ERROR event (410 Expired, "too old resource version: N (M)") and the end. No
  resourceVersion, "" or "0": synthetic ADDED events of the current objects first. ``sendInitialEvents=true`` does
  the same plus the ``k8s.io/initial-events-end`` BOOKMARK (with ``allowWatchBookmarks``). ``allowWatchBookmarks``:
  a BOOKMARK every ``bookmark_interval`` seconds (default 60) of silence. ``timeoutSeconds`` ends the stream cleanly.
  With selectors, an object entering the selection is ADDED and one leaving it DELETED. DELETED carries the last
  state with a new resourceVersion. Newline-delimited JSON, chunked, headers sent at once.
- PUT: 409 Conflict when the body's resourceVersion is set and stale; 400 when name/namespace differ from the URL;
  404 when missing (no create-on-update). PATCH: ``application/merge-patch+json`` (RFC 7386),
  ``application/json-patch+json`` (RFC 6902), ``application/strategic-merge-patch+json`` as a merge patch that
  honours ``$patch: replace|delete`` and ``$retainKeys`` and drops other directives (lists are replaced whole, not
  merged by key); server-side apply (``application/apply-patch+yaml``) is 415. A resourceVersion in a patch is a
  precondition too.
- DELETE returns the object (200). Finalizers are honoured: the object gets deletionTimestamp (MODIFIED) and
  goes when an update removes the last finalizer. ``preconditions`` (uid, resourceVersion) are checked. There is
  no garbage collection (ownerReferences, namespace deletion), no deletecollection, no dryRun, no admission and no
  schema validation (``fieldValidation`` is accepted and ignored), no managedFields, no Table output, and
  namespaces need not exist to hold objects.
- Errors are ``kind: Status`` objects: 404 NotFound, 409 AlreadyExists/Conflict, 410 Expired, 422 Invalid (no
  metadata.name; a Secret whose values exceed 1 MiB together), 400 BadRequest (bad JSON, wrong apiVersion/kind),
  405, 415; injected faults as configured. Request bodies may be up to 3 MiB, as on the real server.

kubectl (v1.32): discovery is the legacy kind (``/api``, ``/apis``, ``/apis/G/V``; kubectl falls back from the
aggregated form by itself). A minimal ``/openapi/v3`` (each group-version's paths with the ``fieldValidation``
query parameter and ``x-kubernetes-group-version-kind``) tells kubectl that the server validates fields, so
``create``/``replace``/``apply`` work without ``--validate=false``; ``/openapi/v2`` is 404, so ``apply`` computes
its strategic merge patch from kubectl's built-in types (no warning). ``get`` prints NAME/AGE (plus NAMESPACE
with ``-A``) from the plain list, as kubectl does for non-Table answers. ``describe ingress`` lists core/v1
events with ``fieldSelector=involvedObject.namespace=NS,involvedObject.kind=Ingress,involvedObject.uid=UID,
involvedObject.name=NAME`` (events posted through events.k8s.io/v1 show up too). ``delete`` needs nothing more.
"""

from tests.standin.emulator import Fault, RequestRecord, StandInEmulator
from tests.standin.resources import RESOURCES, ResourceDef
from tests.standin.server import StandInApiServer, read_manifests
from tests.standin.store import ApiError, Store

__all__ = [
    "RESOURCES",
    "ApiError",
    "Fault",
    "RequestRecord",
    "ResourceDef",
    "StandInApiServer",
    "StandInEmulator",
    "Store",
    "read_manifests",
]
