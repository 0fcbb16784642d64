from itp6crawl.cli import main

if __name__ == "__main__":  # worker processes import the main module again (multiprocessing spawn)
    main()
