"""Reading a repository the way it is deployed: kustomize roots and Helm charts as environments.

`tree` is a read-only view of the repository (working tree or a git revision), `kustomization` reads
what a kustomization file refers to, `plan` decides which builds there are and which files each one
reads (pure), `build` runs them with the real tools in a sandbox, `sourcemap` points findings on built
objects back at the file and line that wrote the value, and `run` analyses each environment with the
unchanged core and merges what they found.
"""
