from itp6crawl.cli import main

main()
