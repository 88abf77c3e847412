"""Rules about what Kubernetes itself refuses: decoding, API versions, names and field validation.

The checks live in `pomgate.kube.inventory` and `pomgate.kube.apivalidation`; these modules document
the ids. An object with a `k8s/` error never reaches the cluster, so pomgate renders no routes for it.
"""
