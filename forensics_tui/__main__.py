from forensics_tui.cli.main import main

main()
