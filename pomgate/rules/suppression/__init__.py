"""Rules about pomgate.io/ignore suppression annotations."""
