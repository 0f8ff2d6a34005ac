"""Reference solutions of every exercise: vectorized, float64, written to be read."""
