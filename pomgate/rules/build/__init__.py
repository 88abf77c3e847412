"""Rules about building the repository the way it is deployed: kustomize, Helm, Argo CD and Flux."""
