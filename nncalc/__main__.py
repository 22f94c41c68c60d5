from nncalc.entry import main

main()
