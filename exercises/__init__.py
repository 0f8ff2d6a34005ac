"""The candidate's workspace: one module per exercise, each a lesson and stubs to fill in."""
