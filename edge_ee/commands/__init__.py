"""One module per subcommand; each defines `register(subparsers)`. Discovered by `edge_ee.cli`."""
