from edge_ee.cli import main

raise SystemExit(main())
