from nncalc.cli.entry import main

main()
