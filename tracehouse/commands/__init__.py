"""One module per `tracehouse <command>`: each has `register(subparsers)` and `run(args)`."""
