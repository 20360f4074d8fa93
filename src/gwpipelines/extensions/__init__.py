"""Extensions: the IaC tools (and custom steps) the executor runs; see base.py for the interface."""
