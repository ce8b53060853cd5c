from flowsql.cli import main

main()
