"""The commented configuration `syncd init` writes."""

STARTER_CONFIG = '''\
# syncd configuration. Paths are relative to this file.
# Run `syncd sync` to merge every copy once, `syncd status` to see what happened.

# Where syncd keeps its memory (every version of the canonical, which copies it took).
state_dir = ".syncd"

[[tracker]]
# A short name for this tracker, used in messages and with `syncd sync --tracker NAME`.
name = "tasks"
# The single latest version, written by syncd. Share this file with the team.
canonical = "canonical/tasks.xlsx"
# Which sheet holds the tasks (default: the first sheet that looks like a table).
sheet = "Tasks"
# A column that identifies a task, if your team has one (e.g. "ID"). Optional.
# key = "ID"
# The column that names a task (default: detected).
# title = "Task"
# When two copies change the same cell differently: "newest" (the most recently saved copy wins),
# "canonical" (the canonical keeps its value) or "flag" (keep the old value until someone decides).
# The clash is always highlighted and listed on the Conflicts sheet.
# on_conflict = "newest"

[[tracker.source]]
# A folder where people save the copies they receive by mail (or a synced drive folder).
type = "folder"
path = "inbox"
# Which files to take (default: every spreadsheet file: .xlsx .xlsm .xls .xlsb .ods .csv .tsv).
# pattern = "*.xlsx"
'''
