"""The checks step: clean every value read from a returned form and check it against the plan."""
