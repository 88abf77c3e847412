"""Rules about reading the input: files, YAML documents and object identity."""
