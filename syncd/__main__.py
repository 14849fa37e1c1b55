from syncd.cli import main

# guarded: the processes that read big copies start by importing this module again
if __name__ == "__main__":
    main()
