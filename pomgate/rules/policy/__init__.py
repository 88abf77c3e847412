"""Rules about Pomerium Policy Language (PPL) in annotations."""
