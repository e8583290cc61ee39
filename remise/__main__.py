from remise.cli import main

main()
