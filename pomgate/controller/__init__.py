"""Controller mode: the shared translator run live against the cluster.

reflector (list+watch) -> livestate (objects, dependencies) -> reconciler (translate, route table)
-> output (config file / Secret), with events, status, Lease election and probes around it (runner).
"""
