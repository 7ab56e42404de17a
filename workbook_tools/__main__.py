from workbook_tools import main

# Guarded: worker processes started by "spawn" (Windows, macOS) import this module.
if __name__ == "__main__":
    main()
