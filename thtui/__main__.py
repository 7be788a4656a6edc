from thtui.cli import main

raise SystemExit(main())
