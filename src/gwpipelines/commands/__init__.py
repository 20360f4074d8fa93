"""One module per subcommand; each exposes `command`, a click command registered by gwpipelines.cli."""
